package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/schedsim/schedsim/bench"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

type benchFlags struct {
	workers      int
	json         string
	saveBaseline string
	baseline     string
	report       string
	shard        string
	engine       string
	quiet        bool
	seeds        string
	duration     string
	warmup       string
}

func (f *benchFlags) define(fs *flag.FlagSet, merge bool) {
	fs.StringVar(&f.json, "json", "", "write every run's metrics, schedule hash and the versions as JSON to `FILE` (- for stdout)")
	fs.StringVar(&f.saveBaseline, "save-baseline", "", "save the results as a baseline to `FILE` (the same JSON)")
	fs.StringVar(&f.baseline, "baseline", "", "compare with the baseline in `FILE`: exit 1 on a significant regression beyond a metric's tolerance")
	fs.StringVar(&f.report, "report", "", "write an HTML report with plots (PNG and SVG) to directory `DIR`")
	if !merge {
		fs.IntVar(&f.workers, "workers", 0, "run `N` simulations at once (default: the number of CPUs)")
		fs.StringVar(&f.shard, "shard", "", "run only the `i/n`-th slice of the suite (0 <= i < n); default from JOB_COMPLETION_INDEX/JOB_COMPLETIONS or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT when set")
		fs.StringVar(&f.engine, "engine", "", "BPF execution `ENGINE`: "+strings.Join(policies.EngineNames(), ", ")+" (default: each config's policy.engine, else "+policies.DefaultEngine()+")")
		fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
		fs.StringVar(&f.seeds, "seeds", "", "replace the suite's seeds: a count `N` (seeds 1 to N) or a list such as 1,7,9")
		fs.StringVar(&f.duration, "duration", "", "replace the suite's duration (`D` such as 100ms) for every config")
		fs.StringVar(&f.warmup, "warmup", "", "replace the suite's warmup (`D`) for every config")
	}
}

// cmdBench implements `schedsim bench SUITE ...` and `schedsim bench merge
// PART...`. Exit status: 0 no regression, 1 a regression (or an ejected
// policy, or a failed run), 2 a usage or suite error.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "merge" {
		return cmdBenchMerge(args[1:], stdout, stderr)
	}
	var f benchFlags
	fs := newFlagSet("bench", args, stdout, stderr)
	f.define(fs, false)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim bench SUITE [--workers N] [--json FILE] [--save-baseline FILE] [--baseline FILE]\n"+
			"                      [--report DIR] [--shard i/n] [--engine E] [--seeds N|LIST] [--duration D] [--warmup D] [--quiet]\n"+
			"       schedsim bench merge PART... [--json FILE] [--save-baseline FILE] [--baseline FILE] [--report DIR]\n\n"+
			"Runs every policy of the suite on every config with every seed, in parallel, and prints\n"+
			"a table per metric: mean and confidence interval across seeds, differences between\n"+
			"policies. With --baseline, exits 1 on a regression. See docs/bench.md.\n\n")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	src, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "schedsim bench: %v\n", err)
		return exitUsage
	}
	suite, err := bench.ParseSuite(pos[0], src)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitUsage
	}
	if code := f.override(suite, stderr); code != exitOK {
		return code
	}
	var sh bench.Shard
	if f.shard != "" {
		if sh, err = bench.ParseShard(f.shard); err != nil {
			fmt.Fprintf(stderr, "schedsim bench: --shard: %v\n", err)
			return exitUsage
		}
	} else {
		s, from, ok, err := bench.ShardFromEnv(os.Getenv)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim bench: %v\n", err)
			return exitUsage
		}
		if ok {
			sh = s
			fmt.Fprintf(stderr, "bench: shard %s from %s (override with --shard)\n", sh, from)
		}
	}
	sharded := sh.Count > 1
	if sharded && (f.json == "" || f.baseline != "" || f.saveBaseline != "" || f.report != "") {
		fmt.Fprintf(stderr, "schedsim bench: shard %s: write the part with --json FILE, and compare, save a baseline or report after `schedsim bench merge`\n", sh)
		return exitUsage
	}
	opts := bench.Options{Workers: f.workers, Shard: sh, Engine: f.engine}
	if !f.quiet {
		pw := &bench.ProgressWriter{W: stderr, TTY: isTerminal(stderr)}
		opts.Progress = pw.Update
	}
	if f.engine != "" {
		if _, _, err := policies.NewEngine(f.engine); err != nil {
			fmt.Fprintf(stderr, "schedsim bench: --engine: %v\n", err)
			return exitUsage
		}
	}
	res, err := bench.Execute(suite, src, opts)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim bench: %v\n", err)
		return exitFailure
	}
	if sharded {
		if code := writeBenchJSON(res, f.json, stdout, stderr); code != exitOK {
			return code
		}
		fmt.Fprintf(stderr, "bench: shard %s: %d runs written to %s; join the parts with schedsim bench merge\n", sh, len(res.Runs), f.json)
		return exitOK
	}
	return benchFinish(res, f, stdout, stderr)
}

// override applies --seeds, --duration and --warmup to the suite.
func (f *benchFlags) override(s *bench.Suite, stderr io.Writer) int {
	if f.seeds != "" {
		seeds, err := bench.ParseSeeds(f.seeds)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim bench: --seeds: %v\n", err)
			return exitUsage
		}
		s.Seeds = seeds
	}
	for _, o := range []struct {
		flag, v string
		dst     *uint64
	}{{"duration", f.duration, &s.Duration}, {"warmup", f.warmup, &s.Warmup}} {
		if o.v == "" {
			continue
		}
		d, err := sim.ParseDuration(o.v)
		if err != nil || (d == 0 && o.flag == "duration") {
			fmt.Fprintf(stderr, "schedsim bench: --%s %q: expected a positive duration such as 100ms\n", o.flag, o.v)
			return exitUsage
		}
		*o.dst = d
	}
	if err := s.Check(); err != nil {
		fmt.Fprintf(stderr, "schedsim bench: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// cmdBenchMerge joins the parts of a sharded bench and goes on as the
// unsharded bench would.
func cmdBenchMerge(args []string, stdout, stderr io.Writer) int {
	var f benchFlags
	fs := newFlagSet("bench merge", args, stdout, stderr)
	f.define(fs, true)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim bench merge PART... [--json FILE] [--save-baseline FILE] [--baseline FILE] [--report DIR]\n\n"+
			"Joins the JSON parts written by `schedsim bench SUITE --shard i/n --json PART` into the\n"+
			"results of the whole suite, then prints, compares and reports as schedsim bench does.\n\n")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fs.Usage()
		return exitUsage
	}
	var parts []*bench.Results
	for _, p := range pos {
		r, err := bench.ReadResults(p)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim bench merge: %v\n", err)
			return exitUsage
		}
		parts = append(parts, r)
	}
	res, err := bench.Merge(parts, pos)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim bench merge: %v\n", err)
		return exitUsage
	}
	return benchFinish(res, f, stdout, stderr)
}

// benchFinish prints the tables, writes the JSON, baseline and report,
// and compares with the baseline.
func benchFinish(res *bench.Results, f benchFlags, stdout, stderr io.Writer) int {
	out := stdout
	if f.json == "-" {
		out = stderr
	}
	bench.WriteTables(out, res)
	code := exitOK
	if f.json != "" {
		if c := writeBenchJSON(res, f.json, stdout, stderr); c != exitOK {
			return c
		}
	}
	if f.saveBaseline != "" {
		if err := res.WriteFile(f.saveBaseline); err != nil {
			fmt.Fprintf(stderr, "schedsim bench: --save-baseline: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(out, "\nbaseline saved to %s\n", f.saveBaseline)
	}
	var cmp *bench.Comparison
	if f.baseline != "" {
		base, err := bench.ReadResults(f.baseline)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim bench: --baseline: %v\n", err)
			return exitUsage
		}
		cmp = bench.Compare(base, res)
		bench.WriteComparison(out, cmp, f.baseline)
		if regs := cmp.Regressions(); len(regs) > 0 {
			fmt.Fprintf(stderr, "schedsim bench: %s against %s\n", plural(len(regs), "regression"), f.baseline)
			code = exitFailure
		}
	}
	if f.report != "" {
		plots, err := bench.Report(f.report, res, cmp)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim bench: --report: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(out, "\nreport: %s/index.html (%s, PNG and SVG)\n", f.report, plural(len(plots), "plot"))
	}
	if n := bench.WriteEjections(stderr, res); n > 0 {
		fmt.Fprintf(stderr, "schedsim bench: the policy was ejected in %s\n", plural(n, "run"))
		code = exitFailure
	}
	return code
}

func writeBenchJSON(res *bench.Results, path string, stdout, stderr io.Writer) int {
	data, err := res.Marshal()
	if err != nil {
		fmt.Fprintf(stderr, "schedsim bench: encoding results: %v\n", err)
		return exitFailure
	}
	if path == "-" {
		_, err = stdout.Write(data)
	} else {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "schedsim bench: writing results: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// isTerminal reports whether w is a terminal (for the progress bar).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
