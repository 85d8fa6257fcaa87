package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/schedsim/schedsim/sim"
)

// compareRun runs each policy of --policy A,B,... on the identical
// workload (same config, same seed) and prints them side by side. The
// config's [policy.params] go to the config's own policy only.
func compareRun(cfg *sim.Config, o sim.Overrides, f runFlags, printk, stdout, stderr io.Writer) int {
	specs, ok := policySpecs("run", cfg, f.policy, stderr)
	if !ok {
		return exitUsage
	}
	var names []string
	var results []*sim.Result
	var scheds []sim.Scheduler
	var replays []func(io.Writer) // trace workloads: replay vs recording, per policy
	env := f.policyEnv(cfg, o)
	env.log = printk // each line names its policy
	for _, spec := range specs {
		scn, sched, code := buildRun("run", cfg, o, env, spec, true, stderr)
		if scn == nil {
			return code
		}
		defer closePolicy(sched)
		if f.maps {
			keepMaps(sched)
		}
		r, err := scn.Run()
		if err != nil {
			fmt.Fprintf(stderr, "schedsim run: %s: %v\n", spec.name, err)
			return exitFailure
		}
		names = append(names, spec.name)
		results = append(results, r)
		scheds = append(scheds, sched)
		if d := recordReplay(scn, r); len(d) > 0 {
			replays = append(replays, func(w io.Writer) {
				fmt.Fprintf(w, "\nunder %s:", spec.name)
				writeReplayDiffs(w, scn, d)
			})
		}
	}
	summaryOut := stdout
	if f.json == "-" {
		summaryOut = stderr
	}
	writeComparison(summaryOut, cfg, names, results)
	for _, p := range replays {
		p(summaryOut)
	}
	if f.maps {
		for i := range scheds {
			if err := writeMaps(summaryOut, scheds[i], results[i]); err != nil {
				fmt.Fprintf(stderr, "schedsim run: --maps: %s: %v\n", names[i], err)
				return exitFailure
			}
		}
	}
	if f.json != "" {
		data, err := json.MarshalIndent(struct {
			Results []*sim.Result `json:"results"`
		}{results}, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "schedsim run: encoding results: %v\n", err)
			return exitFailure
		}
		data = append(data, '\n')
		if f.json == "-" {
			_, err = stdout.Write(data)
		} else {
			err = os.WriteFile(f.json, data, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "schedsim run: writing results: %v\n", err)
			return exitFailure
		}
	}
	code := exitOK
	for _, r := range results {
		if e := r.Ejection; e != nil {
			fmt.Fprintf(stderr, "schedsim run: policy %s was ejected at %s: %s\n", e.Policy, dur(e.AtNs), ejectionWhy(e))
			code = exitFailure
		}
	}
	return code
}

// writeComparison prints one column per policy.
func writeComparison(w io.Writer, cfg *sim.Config, names []string, rs []*sim.Result) {
	fmt.Fprintf(w, "config %s, seed %d, %s simulated; the same workload under each policy\n\n", cfg.File, rs[0].Seed, dur(rs[0].DurationNs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(r *sim.Result) string) {
		fmt.Fprintf(tw, "%s\t", label)
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t", cell(r))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "\t")
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t", strings.TrimSpace(n))
	}
	fmt.Fprintln(tw)
	for i, wl := range rs[0].Workloads {
		if wl.Latency == nil || wl.Latency.Count == 0 {
			continue
		}
		i := i
		row(wl.Name+" latency p50", func(r *sim.Result) string { return latencyAt(r, i, func(l *sim.LatencyStats) uint64 { return l.P50 }) })
		row(wl.Name+" latency p99", func(r *sim.Result) string { return latencyAt(r, i, func(l *sim.LatencyStats) uint64 { return l.P99 }) })
		row(wl.Name+" per second", func(r *sim.Result) string { return fmtRate(r.Workloads[i].Throughput) })
		if wl.QueueDelay != nil {
			row(wl.Name+" queueing p99", func(r *sim.Result) string {
				if i >= len(r.Workloads) || r.Workloads[i].QueueDelay == nil {
					return "-"
				}
				return dur(r.Workloads[i].QueueDelay.P99)
			})
		}
	}
	row("wakeup latency p50", func(r *sim.Result) string { return dur(r.WakeLatency.P50) })
	row("wakeup latency p99", func(r *sim.Result) string { return dur(r.WakeLatency.P99) })
	row("runnable delay p99", func(r *sim.Result) string { return dur(r.Delay.P99) })
	row("fairness (Jain)", func(r *sim.Result) string {
		if r.FairnessTasks < 2 {
			return "n/a"
		}
		if r.Fairness == 0 {
			return "n/a (none ran)"
		}
		return fmt.Sprintf("%.4f", r.Fairness)
	})
	row("max lag (machine)", func(r *sim.Result) string { return dur(uint64(r.MaxLagNs)) })
	row("max lag (runqueue)", func(r *sim.Result) string { return dur(uint64(r.MaxRqLagNs)) })
	row("longest wait", func(r *sim.Result) string { return dur(r.Starvation.LongestWaitNs) })
	row("starved (never ran)", func(r *sim.Result) string {
		return fmt.Sprintf("%d (%d)", r.Starvation.Starved, r.Starvation.NeverRan)
	})
	row("utilisation", func(r *sim.Result) string { return pct(r.Utilisation) })
	row("sched time", func(r *sim.Result) string { return pct(r.SchedTime) })
	if len(rs) > 0 && rs[0].RTTime > 0 {
		row("rt time", func(r *sim.Result) string { return pct(r.RTTime) })
	}
	if len(rs) > 0 && rs[0].FairTime > 0 {
		row("fair time", func(r *sim.Result) string { return pct(r.FairTime) })
	}
	row("switches", func(r *sim.Result) string { return fmt.Sprint(r.Switches) })
	row("schedule hash", func(r *sim.Result) string { return r.ScheduleHash })
	row("ejected", func(r *sim.Result) string {
		if r.Ejection == nil {
			return "no"
		}
		return "at " + dur(r.Ejection.AtNs)
	})
	tw.Flush()
}

func latencyAt(r *sim.Result, i int, f func(*sim.LatencyStats) uint64) string {
	if i >= len(r.Workloads) || r.Workloads[i].Latency == nil {
		return "-"
	}
	return dur(f(r.Workloads[i].Latency))
}
