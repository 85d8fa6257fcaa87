package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

type runFlags struct {
	policy     string
	seed       string
	duration   string
	json       string
	noVerify   bool
	printk     string
	interleave bool
	pct        bool
	pctDepth   int
	maps       bool
	trace      traceFlags
	engine     string
	ops        string
	recipe     string
	// per-callback budgets from --budget-insns and --budget-time (0: the
	// config's)
	budgetInsns uint64
	budgetTime  uint64
}

// parseInterspersed parses flags wherever they appear among the
// positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseArgs parses a command's flags wherever they appear. When it returns
// ok false the command ends with code: exitOK after -h (usage printed),
// exitUsage after a bad flag (the flag package said why).
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, exitOK, false
	case err != nil:
		return nil, exitUsage, false
	}
	return pos, exitOK, true
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := newFlagSet("run", args, stdout, stderr)
	fs.StringVar(&f.policy, "policy", "", "policy `NAME` or PATH of a .bpf.o (default: the config's policy.name)")
	fs.StringVar(&f.seed, "seed", "", "random seed `N` (default: the config's run.seed)")
	fs.StringVar(&f.duration, "duration", "", "simulated `DURATION` such as 500ms or 2s (default: the config's run.duration)")
	fs.StringVar(&f.json, "json", "", "write the full results as JSON to `FILE` (- for stdout)")
	fs.BoolVar(&f.noVerify, "no-verify", false, "skip the BPF verifier (debugging; faults then eject the policy at run time)")
	fs.StringVar(&f.printk, "printk", "", "write bpf_printk output and verifier warnings to `FILE` (- for stderr)")
	fs.BoolVar(&f.interleave, "interleave", false, "let callbacks of different CPUs overlap in simulated time (policy.interleave)")
	fs.BoolVar(&f.pct, "pct", false, "randomise interleavings at lock operations from the seed, as schedsim explore does (implies --interleave)")
	fs.IntVar(&f.pctDepth, "pct-depth", 3, "PCT bug depth `D` (priority change points + 1), at least 1")
	f.trace.register(fs)
	fs.StringVar(&f.ops, "ops", "", "the struct sched_ext_ops `NAME` to load when the object defines several")
	fs.StringVar(&f.recipe, "recipe", "", "loader recipe `NAME|FILE` (default: the shipped recipe for the ops name, if any; none: no recipe)")
	fs.StringVar(&f.engine, "engine", "", "run BPF programs on `ENGINE`: jit or interp (default: the config's policy.engine, else jit on linux/amd64)")
	fs.Uint64Var(&f.budgetInsns, "budget-insns", 0, "cancel a callback after `N` BPF instructions and eject the policy (default: the config's policy.budget_insns)")
	fs.Func("budget-time", "cancel a callback that takes more than `DURATION` of simulated time and eject the policy (default: the config's policy.budget_time)", func(s string) error {
		d, err := sim.ParseDuration(s)
		if err != nil || d == 0 {
			return fmt.Errorf("expected a positive duration such as 50us")
		}
		f.budgetTime = d
		return nil
	})
	fs.BoolVar(&f.maps, "maps", false, "at the end, print every map of the BPF policy decoded by its BTF, as bpftool map dump (and add them to the JSON)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim run [CONFIG] [--policy NAME|PATH] [--seed N] [--duration D] [--json FILE] [--no-verify] [--printk FILE] [--interleave] [--pct [--pct-depth D]] [--maps] [--engine jit|interp]\n"+
			"                    [--budget-insns N] [--budget-time D]\n"+
			"                    [--ops NAME] [--recipe NAME|FILE|none]\n"+
			"                    [--trace FILE [--trace-format F] [--trace-from T] [--trace-to T] [--trace-events LIST]]\n\n"+
			"Simulates the scenario in CONFIG (default: the built-in %s) and prints a summary.\n\n", configs.Default)
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if f.pctDepth < 1 {
		fmt.Fprintf(stderr, "schedsim run: --pct-depth %d: expected an integer of at least 1 (1: no change points)\n", f.pctDepth)
		return exitUsage
	}
	// Outputs are opened before the run, so that a bad path is reported
	// at once rather than after a long run.
	jsonOut, err := openOutput("--json", f.json, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim run: %v\n", err)
		return exitUsage
	}
	defer jsonOut.Close()
	// Created now, before any policy loads: the file exists (possibly
	// empty) after every run, side by side runs too, and holds ops.init's
	// messages.
	var printk io.Writer
	switch f.printk {
	case "":
	case "-":
		printk = stderr
	default:
		lf, err := os.Create(f.printk)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim run: --printk: %v\n", err)
			return exitUsage
		}
		defer lf.Close()
		printk = lf
	}

	cfg, code := loadRunConfig("run", pos, stderr)
	if cfg == nil {
		return code
	}
	o, ok := f.overrides("run", stderr)
	if !ok {
		return exitUsage
	}

	if strings.Contains(f.policy, ",") {
		if f.trace.set() {
			fmt.Fprintf(stderr, "schedsim run: --trace writes one run; give one policy, not %s\n", f.policy)
			return exitUsage
		}
		return compareRun(cfg, o, f, printk, stdout, stderr)
	}
	spec := policySpec{cfg.Policy.Name, cfg.Policy.Params}
	if f.policy != "" && !samePolicy(f.policy, cfg.Policy.Name) {
		if len(spec.params) > 0 && len(pos) > 0 {
			fmt.Fprintf(stderr, "note: --policy %s replaces the config's policy %s; its [policy.params] (%s) are not used\n",
				f.policy, cfg.Policy.Name, spec.params[0].Pos)
		}
		spec = policySpec{f.policy, nil}
	}
	env := f.policyEnv(cfg, o)
	if f.noVerify {
		fmt.Fprintln(stderr, "warning: --no-verify: the BPF verifier is off; an unsafe program is caught only when it faults")
	}
	env.log = printk
	var tr *traceOut
	if f.trace.set() {
		var err error
		if tr, err = f.trace.open(env.cpus, cfg); err != nil {
			fmt.Fprintf(stderr, "schedsim run: %v\n", err)
			return exitUsage
		}
		o.Observers = append(o.Observers, tr.w)
	}
	scn, sched, code := buildRun("run", cfg, o, env, spec, f.policy != "", stderr)
	if scn == nil {
		if tr != nil {
			tr.close()
		}
		return code
	}
	if f.maps {
		keepMaps(sched)
	}
	res, err := scn.Run()
	if tr != nil {
		if cerr := tr.close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "schedsim run: %v\n", err)
		return exitFailure
	}

	summaryOut := stdout
	if f.json == "-" {
		summaryOut = stderr // stdout carries the JSON alone
	}
	writeSummary(summaryOut, cfg, scn, res)
	if f.maps {
		if err := writeMaps(summaryOut, sched, res); err != nil {
			fmt.Fprintf(stderr, "schedsim run: --maps: %v\n", err)
			return exitFailure
		}
	}
	if diffs := recordReplay(scn, res); len(diffs) > 0 {
		writeReplayDiffs(summaryOut, scn, diffs)
	}
	if jsonOut != nil {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "schedsim run: encoding results: %v\n", err)
			return exitFailure
		}
		data = append(data, '\n')
		if _, err = jsonOut.Write(data); err == nil {
			err = jsonOut.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "schedsim run: writing results: %v\n", err)
			return exitFailure
		}
	}
	if res.Ejection != nil {
		fmt.Fprintf(stderr, "schedsim run: policy %s was ejected at %s: %s\n", res.Ejection.Policy,
			sim.FormatDuration(res.Ejection.AtNs), ejectionWhy(res.Ejection))
		return exitFailure
	}
	return exitOK
}

func ejectionWhy(e *sim.EjectionResult) string {
	if e.Msg == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Msg
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// padRight pads names to a common width so that a right-aligned table
// still shows them left-aligned.
func padRight(names []string) []string {
	w := 0
	for _, n := range names {
		w = max(w, len([]rune(n)))
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + strings.Repeat(" ", w-len([]rune(n)))
	}
	return out
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 2, 64) + "%" }

func dur(ns uint64) string { return sim.FormatDuration(ns) }

func latencyCells(l sim.LatencyStats) string {
	return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s", l.Count, dur(uint64(l.Mean+0.5)), dur(l.P50), dur(l.P90),
		dur(l.P99), dur(l.P999), dur(l.Max))
}

func fmtRate(f float64) string {
	switch {
	case f >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case f >= 1:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'g', 3, 64)
}

func fmtStat(s sim.Stat) string {
	v := strconv.FormatFloat(s.Value, 'g', 6, 64)
	switch s.Unit {
	case "":
		return s.Name + "=" + v
	case "/s", "%":
		return s.Name + "=" + v + s.Unit
	}
	return s.Name + "=" + v + " " + s.Unit
}

// writeSummary prints the readable report of a run.
func writeSummary(w io.Writer, cfg *sim.Config, scn *sim.Scenario, r *sim.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	m := scn.Machine
	fmt.Fprintf(tw, "config\t%s\n", cfg.File)
	fmt.Fprintf(tw, "policy\t%s\n", r.Policy)
	fmt.Fprintf(tw, "seed\t%d\n", r.Seed)
	fmt.Fprintf(tw, "schedule hash\t%s\n", r.ScheduleHash)
	d := dur(r.DurationNs)
	if m.P.Warmup > 0 {
		d += " (metrics over the " + dur(r.WindowNs) + " after a " + dur(m.P.Warmup) + " warmup)"
	}
	fmt.Fprintf(tw, "duration\t%s\n", d)
	ts := m.P.Topology
	fmt.Fprintf(tw, "machine\t%d CPUs (%s x %s x %s x %s), %d tasks\n", r.CPUs, plural(ts.Nodes, "node"),
		plural(ts.LLCsPerNode, "LLC"), plural(ts.CoresPerLLC, "core"), plural(ts.ThreadsPerCore, "thread"), r.Tasks)
	fmt.Fprintf(tw, "events\t%d\n", r.Events)
	fmt.Fprintf(tw, "switches\t%d\n", r.Switches)
	fmt.Fprintf(tw, "utilisation\t%s\n", pct(r.Utilisation))
	fmt.Fprintf(tw, "sched time\t%s\n", pct(r.SchedTime))
	if r.RTTime > 0 {
		fmt.Fprintf(tw, "rt time\t%s (RT tasks, included in utilisation)\n", pct(r.RTTime))
	}
	if r.FairTime > 0 {
		fmt.Fprintf(tw, "fair time\t%s (SCHED_NORMAL tasks under SCX_OPS_SWITCH_PARTIAL, included in utilisation)\n", pct(r.FairTime))
	}
	if r.NoiseTime > 0 {
		fmt.Fprintf(tw, "noise time\t%s (interrupts and kernel threads, machine.noise)\n", pct(r.NoiseTime))
	}
	if r.FairnessTasks >= 2 {
		if r.Fairness == 0 {
			fmt.Fprintf(tw, "fairness\tn/a (none of the %d never-sleeping tasks ran)\n", r.FairnessTasks)
		} else {
			fmt.Fprintf(tw, "fairness\t%.4f (Jain's index over %d never-sleeping tasks)\n", r.Fairness, r.FairnessTasks)
		}
	} else {
		fmt.Fprintf(tw, "fairness\tn/a (%d never-sleeping tasks; it needs 2)\n", r.FairnessTasks)
	}
	fmt.Fprintf(tw, "max lag\t%s against the machine's fair share, %s against the runqueue's\n",
		dur(uint64(r.MaxLagNs)), dur(uint64(r.MaxRqLagNs)))
	fmt.Fprintf(tw, "starvation\t%s\n", r.Starvation.Summary(dur))
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	rows := padRight([]string{"", "runnable delay", "wakeup latency"})
	fmt.Fprintf(tw, "%s\tcount\tmean\tp50\tp90\tp99\tp99.9\tmax\t\n", rows[0])
	fmt.Fprintf(tw, "%s\t%s\t\n", rows[1], latencyCells(r.Delay))
	fmt.Fprintf(tw, "%s\t%s\t\n", rows[2], latencyCells(r.WakeLatency))
	tw.Flush()

	if len(r.Workloads) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		names := []string{"workload"}
		kinds := []string{"kind"}
		for _, wl := range r.Workloads {
			names = append(names, wl.Name)
			kinds = append(kinds, wl.Kind)
		}
		names, kinds = padRight(names), padRight(kinds)
		fmt.Fprintf(tw, "%s\t%s\ttasks\tcompleted\tper second\tlatency p50\tp90\tp99\tp99.9\tmax\t\n", names[0], kinds[0])
		for i, wl := range r.Workloads {
			lat := "-\t-\t-\t-\t-"
			if l := wl.Latency; l != nil {
				lat = fmt.Sprintf("%s\t%s\t%s\t%s\t%s", dur(l.P50), dur(l.P90), dur(l.P99), dur(l.P999), dur(l.Max))
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t\n", names[i+1], kinds[i+1], wl.Tasks, wl.Completed, fmtRate(wl.Throughput), lat)
		}
		tw.Flush()
		for _, wl := range r.Workloads {
			if l := wl.QueueDelay; l != nil {
				fmt.Fprintf(w, "  %s request queueing delay: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", wl.Name,
					dur(l.P50), dur(l.P90), dur(l.P99), dur(l.P999), dur(l.Max))
			}
			if l := wl.WakeLatency; l != nil {
				who := ""
				if wl.QueueDelay != nil {
					who = " (workers)"
				}
				fmt.Fprintf(w, "  %s wakeup latency%s: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", wl.Name, who,
					dur(l.P50), dur(l.P90), dur(l.P99), dur(l.P999), dur(l.Max))
			}
			if len(wl.Extra) > 0 {
				parts := make([]string, len(wl.Extra))
				for i, s := range wl.Extra {
					parts[i] = fmtStat(s)
				}
				fmt.Fprintf(w, "  %s: %s\n", wl.Name, strings.Join(parts, "  "))
			}
		}
	}
	writeLocks(w, r)
	fmt.Fprintln(w)
	if e := r.Ejection; e != nil {
		fmt.Fprintf(w, "ejection: policy %s ejected at %s: %s\n", e.Policy, dur(e.AtNs), ejectionWhy(e))
	} else {
		fmt.Fprintf(w, "ejection: none\n")
	}
	writeExit(w, r.Exit)
}

// writeExit prints the exit information ops.exit received, as scx's
// UEI_REPORT prints it ("EXIT: reason (msg)"), with the kind and code.
func writeExit(w io.Writer, x *sim.ExitResult) {
	if x == nil {
		return
	}
	if x.Dump != "" {
		// UEI_REPORT prints the debug dump of an error exit first
		rule := strings.Repeat("=", 80)
		fmt.Fprintf(w, "\nDEBUG DUMP\n%s\n\n%s\n%s\n\n", rule, x.Dump, rule)
	}
	fmt.Fprintf(w, "EXIT: %s", x.Reason)
	if x.Msg != "" {
		fmt.Fprintf(w, " (%s)", x.Msg)
	}
	fmt.Fprintf(w, "  [kind %s, exit_code %d]\n", x.KindName, x.Code)
}

// writeLocks prints the most contended BPF locks and the lock reports.
func writeLocks(w io.Writer, r *sim.Result) {
	locks, _ := r.Extra["locks"].([]policies.LockStats)
	if len(locks) > 0 {
		fmt.Fprintf(w, "\n  %-20s %-24s %10s %10s %10s %10s %10s\n", "lock", "taken at", "acquired", "contended", "wait max", "wait total", "hold max")
		for i, l := range locks {
			if i == 5 {
				fmt.Fprintf(w, "  (%d more in the JSON output)\n", len(locks)-5)
				break
			}
			fmt.Fprintf(w, "  %-20s %-24s %10d %10d %10s %10s %10s\n", l.Name, l.Site, l.Acquisitions, l.Contended,
				dur(l.WaitMaxNs), dur(l.WaitTotalNs), dur(l.HoldMaxNs))
		}
	}
	if ds, _ := r.Extra["deadlocks"].([]string); len(ds) > 0 {
		fmt.Fprintf(w, "\n  %s detected; the first:\n", plural(len(ds), "deadlock"))
		for _, line := range strings.Split(ds[0], "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	if ts, _ := r.Extra["lock_timeouts"].([]string); len(ts) > 0 {
		fmt.Fprintf(w, "\n  lock timeouts: %s\n", strings.Join(ts, "; "))
	}
}
