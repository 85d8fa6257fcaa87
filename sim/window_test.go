package sim

import (
	"math"
	"testing"
)

// A phases pass that began in the warmup and ends after it counts: one
// task doing 30 ms passes ends them at 30, 60, ... 390 ms; with a 100 ms
// warmup and a 400 ms run, ten end in the window (120 ... 390 ms). Counting
// only passes that began after the warmup would give nine (-10%).
func TestPhasesCountsPassesEndingInTheWindow(t *testing.T) {
	r := runSrc(t, `
[run]
duration = "400ms"
warmup = "100ms"
[machine]
cores_per_llc = 1
context_switch = 0
wakeup = 0
ipi = 0
[[workload]]
kind = "phases"
name = "p"
steps = [{run = "30ms"}]
`)
	if w := r.Workloads[0]; w.Completed != 10 || math.Abs(w.Throughput-10/0.3) > 0.01 {
		t.Errorf("completed %d, %.4f/s; want 10, %.4f/s", w.Completed, w.Throughput, 10/0.3)
	}
	if r.WindowNs != 300e6 || r.Utilisation != 1 {
		t.Errorf("window %d ns, utilisation %.4f", r.WindowNs, r.Utilisation)
	}
}

// A policy that never consumes its DSQ: no task runs. Fairness must not
// read 1 (it is 0: none ran), and the starvation report names them.
func TestStarvationShows(t *testing.T) {
	pol := newTestPolicy(CbEnqueue | CbDispatch)
	pol.init = func(k *Kernel) error { k.CreateDSQ(7, -1); return nil }
	pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsert(p, 7, SliceDfl, fl) }
	pol.dispatch = func(int32, *Task) {} // never consumes DSQ 7
	p := testParams(1)                   // one CPU: no idle selection, every task goes to ops.enqueue
	p.Warmup = 100e6
	m := mustMachine(t, p, pol)
	for i := 0; i < 4; i++ {
		spawn(t, m, "hog", loop(1e6))
	}
	r, _ := m.Run()
	if r.FairnessTasks != 4 || r.Fairness != 0 {
		t.Errorf("fairness %.4f over %d tasks, want 0 over 4", r.Fairness, r.FairnessTasks)
	}
	s := r.Starvation
	if s.NeverRan != 4 || s.Starved != 4 || s.LongestWaitNs != 1e9 || !s.Ongoing || !s.ShorterThanWatchdog {
		t.Errorf("starvation %+v", s)
	}
}
