package tui

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// liveHist's percentiles are within 1/32 of the exact sample of that rank,
// its power-of-two counts exact.
func TestLiveHist(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h liveHist
	var xs []uint64
	var pow [64]uint64
	for range 20000 {
		v := uint64(r.ExpFloat64() * 50_000)
		if r.IntN(10) == 0 {
			v = uint64(r.IntN(20)) // some tiny and zero values
		}
		h.record(v)
		xs = append(xs, v)
		pow[bits.Len64(v)]++
	}
	slices.Sort(xs)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
		rank := int(q*float64(len(xs)) + 0.999999)
		want := xs[max(rank, 1)-1]
		got := h.quantile(q)
		if d := float64(got) - float64(want); d > float64(want)/32+1 || -d > float64(want)/32+1 {
			t.Errorf("q%.3f: %d, exact %d", q, got, want)
		}
	}
	if h.quantile(1) != xs[len(xs)-1] || h.max != xs[len(xs)-1] || h.n != uint64(len(xs)) {
		t.Errorf("max %d (quantile 1: %d), exact %d; n %d", h.max, h.quantile(1), xs[len(xs)-1], h.n)
	}
	if got := h.log2(); got != pow {
		t.Errorf("powers of two %v, exact %v", got[:20], pow[:20])
	}
	var empty liveHist
	if empty.quantile(0.5) != 0 {
		t.Error("empty histogram has a median")
	}
}
