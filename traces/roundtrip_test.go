package traces

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

const roundTripConfig = `
[run]
duration = "200ms"
[machine]
cores_per_llc = 4
[[workload]]
kind = "phases"
name = "ping"
tasks = 3
repeat = 200
steps = [{run = "300us"}, {wake = "pong"}, {sleep = "200us"}]
[[workload]]
kind = "phases"
name = "pong"
tasks = 2
steps = [{block = true}, {run = {dist = "exp", mean = "150us"}}]
[[workload]]
kind = "phases"
name = "hog"
tasks = 3
repeat = 30
steps = [{run = {dist = "uniform", min = "1ms", max = "3ms"}}, {sleep = "1ms"}]
`

// TestFtraceRoundTrip runs a scenario, writes it as ftrace text (the
// kernel's microsecond timestamps), reads the text back as a trace
// workload and replays it: each task's CPU demand, as the trace gives it
// and as the replay consumes it, is within 1% of what the task ran.
func TestFtraceRoundTrip(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "run.txt")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sim.ParseConfig("orig.toml", []byte(roundTripConfig))
	if err != nil {
		t.Fatal(err)
	}
	w := NewFtrace(f, Options{CPUs: 4}, false)
	orig, err := cfg.Build(&sim.FIFO{}, sim.Overrides{Observers: []sim.Observer{w}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orig.Run(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	replayCfg := fmt.Sprintf("[run]\nduration = \"400ms\"\n[machine]\ncores_per_llc = 4\n[[workload]]\nkind = \"trace\"\nname = \"rec\"\nfile = %q\n", file)
	rcfg, err := sim.ParseConfig(filepath.Join(dir, "replay.toml"), []byte(replayCfg))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rcfg.Build(&sim.FIFO{}, sim.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rep.Run(); err != nil {
		t.Fatal(err)
	}
	tr := rcfg.Workloads[0].(*sim.TraceReplay)
	diffs := tr.Diffs(rep, 0)
	if len(diffs) != len(orig.Machine.Tasks()) {
		t.Fatalf("the trace has %d tasks, the run had %d", len(diffs), len(orig.Machine.Tasks()))
	}
	within := func(got, want uint64) bool {
		return math.Abs(float64(got)-float64(want)) <= 0.01*float64(want)
	}
	var worstRec, worstSim float64
	for _, d := range diffs {
		o := orig.Machine.Kernel().Task(d.PID)
		if o == nil || o.Comm != d.Comm {
			t.Fatalf("recorded pid %d (%s) is no task of the run", d.PID, d.Comm)
		}
		want := o.Stats.Runtime
		worstRec = max(worstRec, math.Abs(pctDiff(d.RecRuntime, want)))
		worstSim = max(worstSim, math.Abs(pctDiff(d.SimRuntime, want)))
		if !within(d.RecRuntime, want) || !within(d.SimRuntime, want) {
			t.Errorf("%s: ran %d ns; the trace says %d ns (%+.3f%%), the replay ran %d ns (%+.3f%%)", d.Comm, want,
				d.RecRuntime, pctDiff(d.RecRuntime, want), d.SimRuntime, pctDiff(d.SimRuntime, want))
		}
	}
	t.Logf("%d tasks; worst difference of CPU demand: trace %.4f%%, replay %.4f%%", len(diffs), worstRec, worstSim)
}

func pctDiff(got, want uint64) float64 { return (float64(got) - float64(want)) / float64(want) * 100 }
