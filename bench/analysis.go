package bench

import (
	"math"
	"slices"
	"sort"
)

// Analysis turns results into tables: pure functions of the runs, so the
// tables of a merged sharded bench are those of the unsharded one.

// Cell is one metric's values for one (config, policy), one per seed, in
// seed order of the suite.
type Cell struct {
	Seeds  []uint64
	Values []float64
}

// MetricNames returns the names of the measured metrics in the suite's
// order of definitions (the matches of a wildcard sorted by name).
func (r *Results) MetricNames() []string {
	seen := map[string]bool{}
	var all []string
	for _, run := range r.Runs {
		for k := range run.Metrics {
			if !seen[k] {
				seen[k] = true
				all = append(all, k)
			}
		}
	}
	sort.Strings(all)
	var out []string
	for _, d := range r.Suite.Metrics {
		for _, k := range all {
			if dd, ok := defFor(r.Suite.Metrics, k); ok && dd.Name() == d.Name() && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// Cell returns the values of metric for config and policy.
func (r *Results) Cell(metric, config, policy string) Cell {
	var c Cell
	for _, run := range r.Runs {
		if run.Config != config || run.Policy != policy {
			continue
		}
		if v, ok := run.Metrics[metric]; ok {
			c.Seeds = append(c.Seeds, run.Seed)
			c.Values = append(c.Values, v)
		}
	}
	return c
}

// Row is one (config, policy) of a metric's table.
type Row struct {
	Config, Policy string
	Summary
	// Diff compares the policy with the suite's first policy on the same
	// config, paired by seed (nil for the first policy itself or when no
	// seed is shared).
	Diff *Diff
}

// Diff is the paired difference of a policy from a reference policy.
type Diff struct {
	Against string
	// Mean and CI of the per-seed differences (policy - reference).
	Summary
	// Relative is Mean over the reference's mean (NaN if that is 0).
	Relative float64
	Test     TestResult
	// Better and Worse are set when the difference is significant (p <
	// the suite's alpha) in that direction.
	Better, Worse bool
}

// Table is one metric's rows.
type Table struct {
	Metric string
	Def    MetricDef
	Rows   []Row
}

// Tables returns a table per measured metric: every (config, policy)
// that has it, with the mean and confidence interval across seeds, and
// the paired difference from the first policy.
func (r *Results) Tables() []Table {
	var out []Table
	for _, name := range r.MetricNames() {
		def, _ := defFor(r.Suite.Metrics, name)
		t := Table{Metric: name, Def: def}
		for _, cfg := range r.Suite.Configs {
			var ref Cell
			for pi, pol := range r.Suite.Policies {
				c := r.Cell(name, cfg, pol)
				if len(c.Values) == 0 {
					continue
				}
				row := Row{Config: cfg, Policy: pol, Summary: MeanCI(c.Values, r.Suite.Confidence)}
				if pi == 0 {
					ref = c
				} else if a, b := pairBySeed(ref, c); len(a) > 0 {
					row.Diff = diff(r.Suite.Policies[0], a, b, def, r.Suite.Alpha, r.Suite.Confidence)
				}
				t.Rows = append(t.Rows, row)
			}
		}
		out = append(out, t)
	}
	return out
}

// pairBySeed returns the values of a and b on the seeds both have.
func pairBySeed(a, b Cell) ([]float64, []float64) {
	var x, y []float64
	for i, s := range a.Seeds {
		if j := slices.Index(b.Seeds, s); j >= 0 {
			x = append(x, a.Values[i])
			y = append(y, b.Values[j])
		}
	}
	return x, y
}

func diff(against string, a, b []float64, def MetricDef, alpha, conf float64) *Diff {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = b[i] - a[i]
	}
	out := &Diff{Against: against, Summary: MeanCI(d, conf), Test: PairedT(a, b)}
	refMean := MeanCI(a, conf).Mean
	out.Relative = math.NaN()
	if refMean != 0 {
		out.Relative = out.Mean / math.Abs(refMean)
	}
	if out.Test.P < alpha && out.Mean != 0 {
		if (out.Mean > 0) == def.Higher {
			out.Better = true
		} else {
			out.Worse = true
		}
	}
	return out
}

// Change is a metric of one (config, policy) compared with a baseline.
type Change struct {
	Metric, Config, Policy string
	Def                    MetricDef
	Old, New               Summary
	// Relative is (new - old) / |old| of the means (NaN if old is 0).
	Relative float64
	Test     TestResult
	// Regression and Improvement: significant (p < alpha) and beyond the
	// metric's tolerance, in the worse or the better direction.
	Regression, Improvement bool
}

// Comparison is the outcome of comparing results with a baseline.
type Comparison struct {
	Changes []Change
	// Missing lists what the baseline has and the results do not, and the
	// reverse (not compared).
	Missing []string
}

// Regressions returns the changes that are regressions.
func (c *Comparison) Regressions() []Change {
	return c.filter(func(x Change) bool { return x.Regression })
}

// Improvements returns the changes that are improvements.
func (c *Comparison) Improvements() []Change {
	return c.filter(func(x Change) bool { return x.Improvement })
}

func (c *Comparison) filter(f func(Change) bool) []Change {
	var out []Change
	for _, x := range c.Changes {
		if f(x) {
			out = append(out, x)
		}
	}
	return out
}

// Compare compares results with a baseline: for every metric, config and
// policy both have, a test of the new values against the old ones across
// seeds (the suite's test; "auto" pairs by seed when both ran the same
// seeds, with the paired t-test, and else uses Mann-Whitney U). The
// metrics' directions, tolerances and alpha are the new suite's.
func Compare(base, cur *Results) *Comparison {
	out := &Comparison{}
	baseNames := base.MetricNames()
	for _, name := range cur.MetricNames() {
		def, _ := defFor(cur.Suite.Metrics, name)
		for _, cfg := range cur.Suite.Configs {
			for _, pol := range cur.Suite.Policies {
				nc := cur.Cell(name, cfg, pol)
				if len(nc.Values) == 0 {
					continue
				}
				oc := base.Cell(name, cfg, pol)
				if len(oc.Values) == 0 {
					out.Missing = append(out.Missing, name+" on "+cfg+" under "+pol+": not in the baseline")
					continue
				}
				out.Changes = append(out.Changes, change(name, cfg, pol, def, oc, nc, cur.Suite))
			}
		}
	}
	for _, name := range baseNames {
		for _, cfg := range base.Suite.Configs {
			for _, pol := range base.Suite.Policies {
				if len(base.Cell(name, cfg, pol).Values) > 0 && len(cur.Cell(name, cfg, pol).Values) == 0 {
					out.Missing = append(out.Missing, name+" on "+cfg+" under "+pol+": in the baseline only")
				}
			}
		}
	}
	return out
}

func change(name, cfg, pol string, def MetricDef, oc, nc Cell, s Info) Change {
	ch := Change{Metric: name, Config: cfg, Policy: pol, Def: def,
		Old: MeanCI(oc.Values, s.Confidence), New: MeanCI(nc.Values, s.Confidence)}
	ch.Relative = math.NaN()
	if ch.Old.Mean != 0 {
		ch.Relative = (ch.New.Mean - ch.Old.Mean) / math.Abs(ch.Old.Mean)
	}
	test := s.Test
	if test == RegressionAuto || test == "" {
		test = RegressionMannWhitney
		if slices.Equal(sortedSeeds(oc.Seeds), sortedSeeds(nc.Seeds)) {
			test = RegressionPairedT
		}
	}
	switch test {
	case RegressionPairedT, RegressionWilcoxon:
		a, b := pairBySeed(oc, nc)
		if test == RegressionPairedT {
			ch.Test = PairedT(a, b)
		} else {
			ch.Test = WilcoxonSignedRank(a, b)
		}
	default:
		ch.Test = MannWhitneyU(nc.Values, oc.Values)
	}
	d := ch.New.Mean - ch.Old.Mean
	if ch.Test.P < s.Alpha && d != 0 && def.Tolerance.Exceeded(ch.Old.Mean, ch.New.Mean) {
		if (d > 0) == def.Higher {
			ch.Improvement = true
		} else {
			ch.Regression = true
		}
	}
	return ch
}

func sortedSeeds(s []uint64) []uint64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
