package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var xs []uint64
	for range 100000 {
		v := uint64(r.ExpFloat64() * 1e6)
		xs = append(xs, v)
		h.Record(v)
	}
	slices.Sort(xs)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := float64(xs[int(q*float64(len(xs)))-1])
		got := float64(h.Quantile(q))
		if d := (got - want) / want; d > 0.02 || d < -0.02 {
			t.Errorf("q%.3f: got %.0f want %.0f (%.2f%%)", q, got, want, d*100)
		}
	}
	if h.Max() != xs[len(xs)-1] || h.Min() != xs[0] {
		t.Errorf("min/max %d/%d, want %d/%d", h.Min(), h.Max(), xs[0], xs[len(xs)-1])
	}
	for v := uint64(0); v < 5000; v++ {
		if lo, hi := histLow(histIndex(v)), histLow(histIndex(v)+1); v < lo || v >= hi {
			t.Fatalf("value %d in bucket [%d,%d)", v, lo, hi)
		}
	}
}
