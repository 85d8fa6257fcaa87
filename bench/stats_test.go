package bench

import (
	"math"
	"testing"
)

// Reference values are R's (t.test, wilcox.test) on R's own example data
// sets, and hand-computed small cases.

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.7g, want %.7g (±%g)", what, got, want, tol)
	}
}

// R's sleep data set: extra hours of sleep under two drugs, 10 patients.
var sleep1 = []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
var sleep2 = []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}

func TestMeanCI(t *testing.T) {
	// t.test(sleep1): mean 0.75, 95% CI -0.5297804 2.0297804
	s := MeanCI(sleep1, 0.95)
	near(t, "mean", s.Mean, 0.75, 1e-12)
	near(t, "lo", s.Lo, -0.5297804, 1e-6)
	near(t, "hi", s.Hi, 2.0297804, 1e-6)
	// by hand: {1,2,3}: mean 2, sd 1, t(0.975, 2) = 4.302653
	s = MeanCI([]float64{1, 2, 3}, 0.95)
	near(t, "hi {1,2,3}", s.Hi, 2+4.302653/math.Sqrt(3), 1e-5)
	if s := MeanCI([]float64{5}, 0.95); s.Lo != 5 || s.Hi != 5 {
		t.Errorf("one sample: %+v", s)
	}
}

func TestPairedT(t *testing.T) {
	// t.test(sleep2, sleep1, paired = TRUE): t = 4.0621, df = 9, p-value = 0.002833
	r := PairedT(sleep1, sleep2)
	near(t, "t", r.Statistic, 4.0621, 1e-4)
	near(t, "p", r.P, 0.002833, 1e-6)
	if r := PairedT([]float64{1, 2, 3}, []float64{2, 3, 4}); r.P != 0 {
		t.Errorf("constant shift: p = %g, want 0", r.P)
	}
	if r := PairedT([]float64{1, 2, 3}, []float64{1, 2, 3}); r.P != 1 {
		t.Errorf("no change: p = %g, want 1", r.P)
	}
}

func TestMannWhitneyU(t *testing.T) {
	// R's ?wilcox.test: x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
	// y <- c(1.15, 0.88, 0.90, 0.74, 1.21); wilcox.test(x, y): W = 35, p-value = 0.2544
	x := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	y := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	r := MannWhitneyU(x, y)
	near(t, "W", r.Statistic, 35, 0)
	near(t, "p", r.P, 0.2544, 1e-4)
	// by hand: complete separation of 3 and 3: U = 9, p = 2/C(6,3) = 0.1
	r = MannWhitneyU([]float64{4, 5, 6}, []float64{1, 2, 3})
	near(t, "U separated", r.Statistic, 9, 0)
	near(t, "p separated", r.P, 0.1, 1e-12)
	// 5 and 5 separated: p = 2/252
	r = MannWhitneyU([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10})
	near(t, "p 5/5", r.P, 2.0/252, 1e-12)
	// ties, normal approximation: x = {1,2,2,3}, y = {2,3,3,4}
	// ranks of the pooled {1,2,2,2,3,3,3,4}: 1, 3, 3, 3, 6, 6, 6, 8
	// W = 1+3+3+6 - 10 = 3; sigma^2 = 16/12 * (9 - 48/56) = 10.857143
	// z = (|3-8| - 0.5)/3.295018 = 1.365698; p = 0.172026
	r = MannWhitneyU([]float64{1, 2, 2, 3}, []float64{2, 3, 3, 4})
	near(t, "W ties", r.Statistic, 3, 0)
	near(t, "p ties", r.P, 0.172026, 1e-5)
}

func TestWilcoxonSignedRank(t *testing.T) {
	// R's ?wilcox.test (Hollander & Wolfe, depression scale):
	// x <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)
	// y <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
	// wilcox.test(x, y, paired = TRUE): V = 40, p-value = 0.03906
	x := []float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
	y := []float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29}
	r := WilcoxonSignedRank(y, x) // differences x - y
	near(t, "V", r.Statistic, 40, 0)
	near(t, "p", r.P, 0.03906, 1e-5)
	// by hand: 5 positive differences: V = 15, p = 2/32
	r = WilcoxonSignedRank([]float64{0, 0, 0, 0, 0}, []float64{1, 2, 3, 4, 5})
	near(t, "p all up", r.P, 2.0/32, 1e-12)
	if r := WilcoxonSignedRank([]float64{1, 2}, []float64{1, 2}); r.P != 1 {
		t.Errorf("no change: p = %g", r.P)
	}
}

func TestRanks(t *testing.T) {
	r, ties := ranks([]float64{10, 20, 20, 5})
	want := []float64{2, 3.5, 3.5, 1}
	for i := range want {
		if r[i] != want[i] {
			t.Fatalf("ranks = %v, want %v", r, want)
		}
	}
	if ties != 6 {
		t.Errorf("tie correction %g, want 6", ties)
	}
}
