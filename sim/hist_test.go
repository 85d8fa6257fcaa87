package sim

import (
	"math"
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

// Closed forms: for the samples v_i = f(i), i = 1..n, recorded in any
// order, the nearest-rank q-quantile is f(ceil(q*n)); the histogram must
// report it within HistRelErr (0.049%), for values from ns to minutes.
func TestHistogramRelativeError(t *testing.T) {
	forms := []struct {
		name string
		n    int
		f    func(i int) uint64
	}{
		{"identity", 1_000_000, func(i int) uint64 { return uint64(i) }},
		{"geometric", 20000, func(i int) uint64 { return uint64(900 * math.Pow(1.0011, float64(i))) }},
		// exponential of mean 1 ms: the inverse CDF at (i-0.5)/n
		{"exponential", 100000, func(i int) uint64 { return uint64(-1e6 * math.Log(1-(float64(i)-0.5)/100000)) }},
	}
	for _, fm := range forms {
		var h Histogram
		r := rand.New(rand.NewPCG(3, 4))
		for _, i := range r.Perm(fm.n) {
			h.Record(fm.f(i + 1))
		}
		for _, q := range []float64{0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1} {
			rank := max(int(math.Ceil(q*float64(fm.n))), 1)
			want := float64(fm.f(rank))
			got := float64(h.Quantile(q))
			if math.Abs(got-want) > want*HistRelErr+0.5 {
				t.Errorf("%s q%g: got %.0f want %.0f (rel. error %.4f%% > %.4f%%)", fm.name, q, got, want,
					100*math.Abs(got-want)/want, 100*HistRelErr)
			}
		}
	}
	if HistRelErr > 0.001 {
		t.Errorf("stated relative error %g above 0.1%%", HistRelErr)
	}
}

// Two sample sets whose means differ by 3.5% must not report the same p99
// (the 64-bucket histogram did, from bucket midpoints).
func TestHistogramSeparatesClosePercentiles(t *testing.T) {
	var a, b Histogram
	for i := 1; i <= 10000; i++ {
		a.Record(uint64(i) * 500)
		b.Record(uint64(i) * 500 * 1035 / 1000)
	}
	if a.Quantile(0.99) == b.Quantile(0.99) {
		t.Errorf("p99 %d for both", a.Quantile(0.99))
	}
}
