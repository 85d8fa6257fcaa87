package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// DistKind names a family of distributions of durations.
type DistKind string

const (
	DistConst     DistKind = "const"     // always Value
	DistExp       DistKind = "exp"       // exponential with Mean
	DistUniform   DistKind = "uniform"   // uniform on [Min, Max]
	DistLogNormal DistKind = "lognormal" // exp(N(Mu, Sigma)), Mu in ln(ns)
	DistNormal    DistKind = "normal"    // N(Mean, Stddev) clamped at 0
	DistPareto    DistKind = "pareto"    // Pareto with scale Min, shape Alpha
	DistGamma     DistKind = "gamma"     // Gamma with shape Alpha, mean Mean
)

// DistKinds lists the distribution families a config may name.
var DistKinds = []DistKind{DistConst, DistExp, DistUniform, DistLogNormal, DistNormal, DistPareto, DistGamma}

// Dist is a distribution of durations in ns. The zero value is the
// constant 0. Samples are rounded to whole nanoseconds, never negative,
// and at most Max when Max > 0.
type Dist struct {
	Kind DistKind
	// Parameters, in ns unless noted; which ones apply depends on Kind.
	Value, Mean, Stddev, Min, Max float64
	Mu, Sigma                     float64 // lognormal: of ln(ns)
	Alpha                         float64 // pareto and gamma shape
}

// Const is the constant distribution d.
func Const(d uint64) Dist { return Dist{Kind: DistConst, Value: float64(d)} }

// Exp is the exponential distribution with the given mean.
func Exp(mean uint64) Dist { return Dist{Kind: DistExp, Mean: float64(mean)} }

// Uniform is the uniform distribution on [lo, hi].
func Uniform(lo, hi uint64) Dist { return Dist{Kind: DistUniform, Min: float64(lo), Max: float64(hi)} }

// LogNormalMeanStd is the log-normal distribution with the given mean and
// standard deviation.
func LogNormalMeanStd(mean, stddev float64) Dist {
	s2 := math.Log(1 + stddev*stddev/(mean*mean))
	return Dist{Kind: DistLogNormal, Mu: math.Log(mean) - s2/2, Sigma: math.Sqrt(s2)}
}

// Validate checks the parameters.
func (d Dist) Validate() error {
	pos := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%s distribution needs %s > 0", d.Kind, name)
		}
		return nil
	}
	switch d.Kind {
	case "", DistConst:
		if d.Value < 0 {
			return fmt.Errorf("const distribution needs value >= 0")
		}
	case DistExp:
		return pos("mean", d.Mean)
	case DistUniform:
		if d.Min < 0 || d.Max < d.Min {
			return fmt.Errorf("uniform distribution needs 0 <= min <= max")
		}
	case DistLogNormal:
		if !(d.Sigma >= 0) || math.IsNaN(d.Mu) || math.IsInf(d.Mu, 0) {
			return fmt.Errorf("lognormal distribution needs sigma >= 0 and a finite mu")
		}
	case DistNormal:
		if d.Stddev < 0 || d.Mean < 0 {
			return fmt.Errorf("normal distribution needs mean >= 0 and stddev >= 0")
		}
	case DistPareto:
		if err := pos("alpha", d.Alpha); err != nil {
			return err
		}
		return pos("min", d.Min)
	case DistGamma:
		if err := pos("shape", d.Alpha); err != nil {
			return err
		}
		return pos("mean", d.Mean)
	default:
		return fmt.Errorf("unknown distribution %q", d.Kind)
	}
	return nil
}

// MeanNs is the distribution's mean in ns (before the Max cap), or +Inf.
func (d Dist) MeanNs() float64 {
	switch d.Kind {
	case "", DistConst:
		return d.Value
	case DistExp, DistNormal, DistGamma:
		return d.Mean
	case DistUniform:
		return (d.Min + d.Max) / 2
	case DistLogNormal:
		return math.Exp(d.Mu + d.Sigma*d.Sigma/2)
	case DistPareto:
		if d.Alpha <= 1 {
			return math.Inf(1)
		}
		return d.Alpha * d.Min / (d.Alpha - 1)
	}
	return 0
}

func (d Dist) String() string {
	f := func(v float64) string { return FormatDuration(uint64(math.Round(v))) }
	var s string
	switch d.Kind {
	case "", DistConst:
		return f(d.Value)
	case DistExp:
		s = "exp(mean " + f(d.Mean) + ")"
	case DistUniform:
		return "uniform(" + f(d.Min) + ", " + f(d.Max) + ")"
	case DistLogNormal:
		s = fmt.Sprintf("lognormal(mean %s, sigma %.3g)", f(d.MeanNs()), d.Sigma)
	case DistNormal:
		s = "normal(mean " + f(d.Mean) + ", stddev " + f(d.Stddev) + ")"
	case DistPareto:
		s = fmt.Sprintf("pareto(min %s, alpha %.3g)", f(d.Min), d.Alpha)
	case DistGamma:
		s = fmt.Sprintf("gamma(mean %s, shape %.3g)", f(d.Mean), d.Alpha)
	default:
		return string(d.Kind)
	}
	if d.Max > 0 {
		s = strings.TrimSuffix(s, ")") + ", max " + f(d.Max) + ")"
	}
	return s
}

// Sampler draws from a Dist with a seeded stream.
//
// The exponential, uniform, normal and log-normal draws are distuv's
// formulas written out, on the stream directly: the same values from the
// same stream (distuv wraps its source in a new rand.Rand per draw, one
// more indirection); the other kinds go through distuv.
//
// What Sample reads is in the first 64 bytes (d's Value and Max copied):
// a periodic task keeps its Sampler inline on a line of its own.
type Sampler struct {
	kind       uint8 // sample*
	src        *rand.Rand
	p0, p1     float64 // the formula's parameters, see Sample
	value, max float64 // d.Value, d.Max
	rnd        distuv.Rander
	d          Dist
}

const (
	sampleConst = iota
	sampleRander
	sampleExp
	sampleUniform
	sampleNormal
	sampleLogNormal
)

// NewSampler returns a sampler of d drawing from r. The distributions are
// gonum's distuv, always given r as their source (never the global one).
func (d Dist) NewSampler(r *rand.Rand) *Sampler {
	s := new(Sampler)
	d.initSampler(s, r)
	return s
}

// initSampler makes *s a sampler of d drawing from r.
func (d Dist) initSampler(s *Sampler, r *rand.Rand) {
	*s = Sampler{d: d, src: r, value: d.Value, max: d.Max}
	if r != nil {
		switch d.Kind {
		case DistExp: // distuv.Exponential
			s.kind, s.p0 = sampleExp, 1/d.Mean
			return
		case DistUniform: // distuv.Uniform
			s.kind, s.p0, s.p1 = sampleUniform, d.Min, d.Max
			return
		case DistNormal: // distuv.Normal
			s.kind, s.p0, s.p1 = sampleNormal, d.Mean, d.Stddev
			return
		case DistLogNormal: // distuv.LogNormal
			s.kind, s.p0, s.p1 = sampleLogNormal, d.Mu, d.Sigma
			return
		}
	}
	switch d.Kind {
	case DistExp:
		s.rnd = distuv.Exponential{Rate: 1 / d.Mean, Src: r}
	case DistUniform:
		s.rnd = distuv.Uniform{Min: d.Min, Max: d.Max, Src: r}
	case DistLogNormal:
		s.rnd = distuv.LogNormal{Mu: d.Mu, Sigma: d.Sigma, Src: r}
	case DistNormal:
		s.rnd = distuv.Normal{Mu: d.Mean, Sigma: d.Stddev, Src: r}
	case DistPareto:
		s.rnd = distuv.Pareto{Xm: d.Min, Alpha: d.Alpha, Src: r}
	case DistGamma:
		s.rnd = distuv.Gamma{Alpha: d.Alpha, Beta: d.Alpha / d.Mean, Src: r}
	}
	if s.rnd != nil {
		s.kind = sampleRander
	}
}

// Sample returns the next duration in ns.
func (s *Sampler) Sample() uint64 {
	v := s.value
	switch s.kind {
	case sampleExp:
		v = s.src.ExpFloat64() / s.p0
	case sampleUniform:
		v = s.src.Float64()*(s.p1-s.p0) + s.p0
	case sampleNormal:
		v = s.src.NormFloat64()*s.p1 + s.p0
	case sampleLogNormal:
		v = math.Exp(s.src.NormFloat64()*s.p1 + s.p0)
	case sampleRander:
		v = s.rnd.Rand()
	}
	if s.max > 0 && v > s.max {
		v = s.max
	}
	if !(v > 0) { // negative, zero or NaN
		return 0
	}
	if v >= float64(maxDuration) {
		return maxDuration
	}
	return uint64(math.Round(v))
}

// Dist returns the sampled distribution.
func (s *Sampler) Dist() Dist { return s.d }
