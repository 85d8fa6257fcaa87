package bench

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// The statistics are pure functions of the samples: no state, no
// randomness, so a result table always gives the same figures.

// Summary is the mean of a sample with a confidence interval.
type Summary struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	// Lo and Hi bound the confidence interval of the mean (Student's t);
	// with one sample they equal the mean.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// MeanCI returns the mean of xs with its two-sided confidence interval at
// level (0.95 for 95%), from Student's t distribution with n-1 degrees of
// freedom.
func MeanCI(xs []float64, level float64) Summary {
	n := len(xs)
	if n == 0 {
		return Summary{Mean: math.NaN(), SD: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	if n == 1 {
		return Summary{N: 1, Mean: xs[0], Lo: xs[0], Hi: xs[0]}
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	h := tQuantile(1-(1-level)/2, float64(n-1)) * sd / math.Sqrt(float64(n))
	return Summary{N: n, Mean: mean, SD: sd, Lo: mean - h, Hi: mean + h}
}

func tQuantile(p, df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}

// TestResult is the outcome of a two-sample test.
type TestResult struct {
	Test      string  `json:"test"`
	Statistic float64 `json:"statistic"`
	// P is the two-sided p-value.
	P float64 `json:"p"`
}

// PairedT is the two-sided paired t-test of b against a (a[i] and b[i]
// measured on the same seed). The statistic is t of the differences b-a.
// When every difference is the same, the test is degenerate: p is 1 if
// they are all 0, else 0 (a shift with no noise at all, which a
// deterministic simulator does produce).
func PairedT(a, b []float64) TestResult {
	n := min(len(a), len(b))
	d := make([]float64, n)
	for i := range d {
		d[i] = b[i] - a[i]
	}
	r := TestResult{Test: "paired t", P: 1}
	if n < 2 {
		return r
	}
	mean, sd := stat.MeanStdDev(d, nil)
	if sd == 0 || math.IsNaN(sd) {
		if mean != 0 {
			r.Statistic, r.P = math.Copysign(math.Inf(1), mean), 0
		}
		return r
	}
	t := mean / (sd / math.Sqrt(float64(n)))
	r.Statistic = t
	r.P = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Survival(math.Abs(t))
	return r
}

// ranks returns the mid-ranks (1-based; tied values share the mean of
// their ranks) of xs, and the tie correction sum of (t^3 - t) over the
// groups of t tied values.
func ranks(xs []float64) ([]float64, float64) {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		switch {
		case xs[i] < xs[j]:
			return -1
		case xs[i] > xs[j]:
			return 1
		}
		return 0
	})
	r := make([]float64, len(xs))
	var ties float64
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		mid := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mid
		}
		if t := float64(j - i + 1); t > 1 {
			ties += t*t*t - t
		}
		i = j + 1
	}
	return r, ties
}

// exactLimit bounds the sample sizes for which the exact null
// distributions are enumerated; beyond it the normal approximation is
// used.
const exactLimit = 50

// MannWhitneyU is the two-sided Wilcoxon rank-sum (Mann-Whitney U) test of
// two independent samples. The statistic is U of a: the number of pairs
// (a[i], b[j]) with a[i] > b[j], ties counting one half (R's W). The
// p-value is exact when there are no ties and both samples have at most 50
// values, else from the normal approximation with tie and continuity
// corrections (as R's wilcox.test).
func MannWhitneyU(a, b []float64) TestResult {
	n, m := len(a), len(b)
	r := TestResult{Test: "Mann-Whitney U", P: 1}
	if n == 0 || m == 0 {
		return r
	}
	all := append(slices.Clone(a), b...)
	rk, ties := ranks(all)
	var ra float64
	for i := 0; i < n; i++ {
		ra += rk[i]
	}
	u := ra - float64(n*(n+1))/2
	r.Statistic = u
	if ties == 0 && n <= exactLimit && m <= exactLimit {
		r.P = exactRankSumP(n, m, u)
		return r
	}
	nf, mf := float64(n), float64(m)
	mu := nf * mf / 2
	sigma := math.Sqrt(nf * mf / 12 * ((nf + mf + 1) - ties/((nf+mf)*(nf+mf-1))))
	r.P = normalP(u-mu, sigma)
	return r
}

// normalP is the two-sided p-value of a deviation z from the mean of a
// normal distribution of standard deviation sigma, with continuity
// correction.
func normalP(dev, sigma float64) float64 {
	if sigma == 0 {
		return 1
	}
	z := (math.Abs(dev) - 0.5) / sigma
	if z < 0 {
		return 1
	}
	return min(1, 2*distuv.UnitNormal.Survival(z))
}

// exactRankSumP is the exact two-sided p-value of U = u for samples of n
// and m values without ties: 2 * P(U <= min(u, nm-u)), capped at 1. The
// counts of arrangements with U = k follow the recurrence
// f(n, m, k) = f(n-1, m, k-m) + f(n, m-1, k).
func exactRankSumP(n, m int, u float64) float64 {
	// cnt[j][k]: arrangements of i values of a and j of b with U = k,
	// built up over i.
	maxU := n * m
	prev := make([][]float64, m+1)
	for j := range prev {
		prev[j] = make([]float64, maxU+1)
		prev[j][0] = 1 // i = 0: U = 0
	}
	for i := 1; i <= n; i++ {
		cur := make([][]float64, m+1)
		for j := 0; j <= m; j++ {
			cur[j] = make([]float64, maxU+1)
			for k := 0; k <= i*j; k++ {
				var c float64
				if k >= j {
					c += prev[j][k-j] // the largest value is a's: it beats all j of b
				}
				if j > 0 {
					c += cur[j-1][k] // the largest value is b's
				}
				cur[j][k] = c
			}
		}
		prev = cur
	}
	dist := prev[m]
	var total float64
	for _, c := range dist {
		total += c
	}
	lo := math.Min(u, float64(maxU)-u)
	var tail float64
	for k := 0; float64(k) <= lo+1e-9; k++ {
		tail += dist[k]
	}
	return min(1, 2*tail/total)
}

// WilcoxonSignedRank is the two-sided Wilcoxon signed-rank test of the
// paired differences b-a. Zero differences are dropped. The statistic is
// V, the sum of the ranks of the positive differences (R's V). The
// p-value is exact when there are no ties and at most 50 non-zero
// differences, else from the normal approximation with tie and continuity
// corrections.
func WilcoxonSignedRank(a, b []float64) TestResult {
	r := TestResult{Test: "Wilcoxon signed-rank", P: 1}
	var d []float64
	for i := range min(len(a), len(b)) {
		if x := b[i] - a[i]; x != 0 {
			d = append(d, x)
		}
	}
	n := len(d)
	if n == 0 {
		return r
	}
	abs := make([]float64, n)
	for i, x := range d {
		abs[i] = math.Abs(x)
	}
	rk, ties := ranks(abs)
	var v float64
	for i, x := range d {
		if x > 0 {
			v += rk[i]
		}
	}
	r.Statistic = v
	maxV := n * (n + 1) / 2
	if ties == 0 && n <= exactLimit {
		// counts of subsets of {1..n} by their sum
		cnt := make([]float64, maxV+1)
		cnt[0] = 1
		for k := 1; k <= n; k++ {
			for s := maxV; s >= k; s-- {
				cnt[s] += cnt[s-k]
			}
		}
		lo := math.Min(v, float64(maxV)-v)
		var tail float64
		for s := 0; float64(s) <= lo+1e-9; s++ {
			tail += cnt[s]
		}
		r.P = min(1, 2*tail/math.Ldexp(1, n))
		return r
	}
	nf := float64(n)
	sigma := math.Sqrt(nf*(nf+1)*(2*nf+1)/24 - ties/48)
	r.P = normalP(v-nf*(nf+1)/4, sigma)
	return r
}
