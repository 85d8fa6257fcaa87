package bench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/schedsim/schedsim/sim"
)

// FormatValue writes a metric's value for people: a duration for a
// metric whose name ends in _ns, else a number with 4 significant digits.
func FormatValue(metric string, v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	if strings.HasSuffix(strings.TrimSuffix(metric, ")"), "_ns") {
		s := ""
		if v < 0 {
			s, v = "-", -v
		}
		return s + sim.FormatDuration(uint64(math.Round(v)))
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e12 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func formatSigned(metric string, v float64) string {
	if v >= 0 {
		return "+" + FormatValue(metric, v)
	}
	return FormatValue(metric, v)
}

func formatPct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", f*100)
}

func formatP(p float64) string {
	if p < 1e-4 {
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'f', 4, 64)
}

func direction(d MetricDef) string {
	if d.Higher {
		return "higher is better"
	}
	return "lower is better"
}

// WriteTables prints a table per metric: for each config and policy the
// mean and confidence interval across seeds, and the paired difference
// from the first policy with its p-value (marked "better" or "worse" when
// significant at the suite's alpha).
func WriteTables(w io.Writer, r *Results) {
	s := r.Suite
	fmt.Fprintf(w, "suite %s: %d configs x %d policies x %d seeds = %d runs; mean and %g%% CI across seeds; differences paired by seed (t-test, alpha %g)\n",
		s.Name, len(s.Configs), len(s.Policies), len(s.Seeds), len(r.Runs), s.Confidence*100, s.Alpha)
	for _, t := range r.Tables() {
		fmt.Fprintf(w, "\n%s (%s, tolerance %s)\n", t.Metric, direction(t.Def), t.Def.Tolerance)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		vs := ""
		if len(s.Policies) > 1 {
			vs = "vs " + s.Policies[0] + "\tdifference CI\tp\t"
		}
		fmt.Fprintf(tw, "  config\tpolicy\tn\tmean\t%g%% CI\t%s\n", s.Confidence*100, vs)
		for _, row := range t.Rows {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t[%s, %s]\t", row.Config, row.Policy, row.N, FormatValue(t.Metric, row.Mean),
				FormatValue(t.Metric, row.Lo), FormatValue(t.Metric, row.Hi))
			if d := row.Diff; d != nil {
				mark := ""
				switch {
				case d.Better:
					mark = " better"
				case d.Worse:
					mark = " worse"
				}
				fmt.Fprintf(tw, "%s (%s)\t[%s, %s]\t%s%s\t", formatSigned(t.Metric, d.Mean), formatPct(d.Relative),
					formatSigned(t.Metric, d.Lo), formatSigned(t.Metric, d.Hi), formatP(d.Test.P), mark)
			} else if vs != "" {
				fmt.Fprint(tw, "\t\t\t")
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	}
	for _, d := range s.Metrics {
		if d.Aggregate != "" {
			continue
		}
		found := false
		for _, run := range r.Runs {
			for k := range run.Metrics {
				found = found || k == d.Path || pathMatches(d.Path, k)
			}
		}
		if !found {
			fmt.Fprintf(w, "\nwarning: metric %s matched nothing in any run (see a run's document with schedsim run --json)\n", d.Path)
		}
	}
}

// WriteEjections lists the runs whose policy was ejected; it returns how
// many there were.
func WriteEjections(w io.Writer, r *Results) int {
	n := 0
	for _, run := range r.Runs {
		if run.Ejection != "" {
			fmt.Fprintf(w, "ejected: policy %s on config %s, seed %d: %s\n", run.Policy, run.Config, run.Seed, run.Ejection)
			n++
		}
	}
	return n
}

// WriteComparison prints the regressions and improvements against a
// baseline.
func WriteComparison(w io.Writer, c *Comparison, baseline string) {
	regs, imps := c.Regressions(), c.Improvements()
	fmt.Fprintf(w, "\nagainst baseline %s: %d compared, %d regressions, %d improvements\n",
		baseline, len(c.Changes), len(regs), len(imps))
	for _, x := range regs {
		fmt.Fprintf(w, "REGRESSION: %s\n", describe(x))
	}
	for _, x := range imps {
		fmt.Fprintf(w, "improvement: %s\n", describe(x))
	}
	for _, m := range c.Missing {
		fmt.Fprintf(w, "not compared: %s\n", m)
	}
}

func describe(x Change) string {
	return fmt.Sprintf("metric %s, config %s, policy %s: %s -> %s (%s; tolerance %s, %s p=%s, %s)",
		x.Metric, x.Config, x.Policy, FormatValue(x.Metric, x.Old.Mean), FormatValue(x.Metric, x.New.Mean),
		formatPct(x.Relative), x.Def.Tolerance, x.Test.Test, formatP(x.Test.P), direction(x.Def))
}
