package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/traces"
)

// traceFlags are schedsim run's --trace options.
type traceFlags struct {
	file, format, from, to, events string
}

func (tf *traceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&tf.file, "trace", "", "write the run as a trace to `FILE` (.pftrace/.perfetto-trace: Perfetto, .json: Chrome JSON, .txt: ftrace text)")
	fs.StringVar(&tf.format, "trace-format", "", "trace `FORMAT`: perfetto, perfetto-compact, json, ftrace or ftrace-ns (default: from the file's extension)")
	fs.StringVar(&tf.from, "trace-from", "", "trace only from simulated `TIME` on (e.g. 200ms)")
	fs.StringVar(&tf.to, "trace-to", "", "trace only up to simulated `TIME`")
	fs.StringVar(&tf.events, "trace-events", "", "what to trace besides the sched events: a `LIST` of callbacks, dsq, locks, counters, printk, or all (the default), or sched alone")
}

// set reports whether any trace option was given.
func (tf *traceFlags) set() bool {
	return tf.file != "" || tf.format != "" || tf.from != "" || tf.to != "" || tf.events != ""
}

// traceOut is an open trace: its writer and file.
type traceOut struct {
	w    traces.Writer
	f    *os.File
	name string
}

// open creates the trace file and its writer for a machine of ncpu CPUs
// running the config's workloads.
func (tf *traceFlags) open(ncpu int, cfg *sim.Config) (*traceOut, error) {
	if tf.file == "" {
		return nil, fmt.Errorf("--trace-format, --trace-from, --trace-to and --trace-events need --trace FILE")
	}
	format, err := traces.FormatFor(tf.file, tf.format)
	if err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	o := traces.Options{CPUs: ncpu}
	for _, w := range cfg.Workloads {
		o.Workloads = append(o.Workloads, w.Common().Name)
	}
	for _, x := range []struct {
		flag, val string
		dst       *uint64
	}{{"--trace-from", tf.from, &o.From}, {"--trace-to", tf.to, &o.To}} {
		if x.val == "" {
			continue
		}
		d, err := sim.ParseDuration(x.val)
		if err != nil {
			return nil, fmt.Errorf("%s %q: expected a time such as 200ms or 1s", x.flag, x.val)
		}
		*x.dst = d
	}
	if tf.events != "" {
		want, err := traces.ParseEvents(tf.events)
		if err != nil {
			return nil, fmt.Errorf("--trace-events: %w", err)
		}
		o.Skip = traces.EventAll &^ want
	}
	if o.To != 0 && o.To < o.From {
		return nil, fmt.Errorf("--trace-to %s is before --trace-from %s", tf.to, tf.from)
	}
	f, err := os.Create(tf.file)
	if err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	w, err := traces.New(f, format, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &traceOut{w: w, f: f, name: tf.file}, nil
}

// close flushes the writer and closes the file.
func (t *traceOut) close() error {
	err := t.w.Close()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing trace %s: %w", t.name, err)
	}
	return nil
}

// replayDiffs collects, for each trace workload of the run, how the
// replay differs from the recording, by workload name.
func replayDiffs(scn *sim.Scenario) map[string][]sim.ReplayDiff {
	out := map[string][]sim.ReplayDiff{}
	for i, w := range scn.Workloads {
		if tr, ok := w.(*sim.TraceReplay); ok {
			out[tr.Name] = tr.Diffs(scn, i)
		}
	}
	return out
}

// recordReplay puts the run's replay comparisons, if it has trace
// workloads, in the result's extra.trace_replay and returns them.
func recordReplay(scn *sim.Scenario, r *sim.Result) map[string][]sim.ReplayDiff {
	diffs := replayDiffs(scn)
	if len(diffs) > 0 {
		if r.Extra == nil {
			r.Extra = map[string]any{}
		}
		r.Extra["trace_replay"] = diffs
	}
	return diffs
}

// maxReplayRows bounds the tasks the summary lists per trace workload.
const maxReplayRows = 20

// writeReplayDiffs prints, per trace workload, the tasks with the most
// recorded CPU time: runtime, wait and switches recorded and replayed.
func writeReplayDiffs(w io.Writer, scn *sim.Scenario, diffs map[string][]sim.ReplayDiff) {
	for _, wl := range scn.Workloads {
		ds, ok := diffs[wl.Common().Name]
		if !ok {
			continue
		}
		ds = slices.Clone(ds)
		slices.SortStableFunc(ds, func(a, b sim.ReplayDiff) int { return cmp.Compare(b.RecRuntime, a.RecRuntime) })
		fmt.Fprintf(w, "\n  %s: replay vs recording (%s)\n", wl.Common().Name, plural(len(ds), "task"))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  task\tpid\truntime rec\treplay\tdiff\twait rec\treplay\tswitches rec\treplay\t\n")
		for i, d := range ds {
			if i == maxReplayRows {
				fmt.Fprintf(tw, "  (%d more in the JSON output, extra.trace_replay)\t\t\t\t\t\t\t\t\t\n", len(ds)-i)
				break
			}
			diff := "-"
			if d.RecRuntime > 0 {
				diff = strconv.FormatFloat((float64(d.SimRuntime)-float64(d.RecRuntime))/float64(d.RecRuntime)*100, 'f', 2, 64) + "%"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t\n", d.Comm, d.PID, dur(d.RecRuntime), dur(d.SimRuntime), diff,
				dur(d.RecWait), dur(d.SimWait), d.RecSwitches, d.SimSwitches)
		}
		tw.Flush()
	}
}
