package policies

import (
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// TestCentralStyleObject runs testdata/central.bpf.o, a policy organised
// as upstream's scx_central: CPU 0 makes every decision and inserts tasks
// into the other CPUs' local DSQs (SCX_DSQ_LOCAL_ON | cpu) from its
// ops.dispatch, kicking them. Pinned tasks run only where allowed, every
// task runs, the CPUs are kept busy, nothing stalls.
func TestCentralStyleObject(t *testing.T) {
	const ncpu = 4
	pol, err := Open("testdata/central.bpf.o", Options{NumCPUs: ncpu, Params: map[string]any{"nr_cpus": uint32(ncpu)}})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: ncpu, ThreadsPerCore: 1},
		HZ: 1000, ContextSwitch: 1000, IPI: 500, Seed: 7, Duration: 300e6}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	r := m.Rand("central")
	pinned := map[int32]int{}
	for i := 0; i < 12; i++ {
		spec := sim.TaskSpec{Comm: "w"}
		switch i {
		case 0, 1:
			spec.Affinity = []int{3}
		case 2:
			spec.Affinity = []int{0}
		}
		run := false
		spec.Behavior = sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(100_000 + r.Uint64N(3_000_000))
			}
			return sim.Sleep(50_000 + r.Uint64N(1_000_000))
		})
		task, err := m.Spawn(spec)
		if err != nil {
			t.Fatal(err)
		}
		if len(spec.Affinity) == 1 {
			pinned[task.PID] = spec.Affinity[0]
		}
	}
	misplaced := 0
	m.OnSwitch(func(_ uint64, cpu int, _, next *sim.Task) {
		if next == nil {
			return
		}
		if want, ok := pinned[next.PID]; ok && want != cpu {
			misplaced++
		}
	})
	res, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Ejection != nil {
		t.Fatalf("ejected: %+v", res.Ejection)
	}
	if misplaced != 0 {
		t.Errorf("pinned tasks ran %d times on another CPU", misplaced)
	}
	for _, tr := range res.PerTask {
		if tr.RuntimeNs == 0 {
			t.Errorf("task %d never ran", tr.PID)
		}
	}
	localOn, self, requeued := globalU64(t, pol, "nr_local_on"), globalU64(t, pol, "nr_self"), globalU64(t, pol, "nr_requeued")
	enq, hands, timer := globalU64(t, pol, "nr_enqueued"), globalU64(t, pol, "nr_hands"), globalU64(t, pol, "nr_timer")
	if localOn == 0 || self == 0 || requeued == 0 || hands == 0 {
		t.Errorf("local_on %d, self %d, requeued %d, hands %d: some path never ran", localOn, self, requeued, hands)
	}
	// every enqueue is dispatched once (a few may still wait at the end)
	if given := localOn + self; given > enq || enq-given > 12 {
		t.Errorf("%d enqueues, %d insertions", enq, given)
	}
	if timer < 290 || timer > 301 {
		t.Errorf("central timer fired %d times in 300 ms at a 1 ms period", timer)
	}
	// 12 tasks running about 62% of the time ask for ~7 CPUs: all 4 busy
	if res.Utilisation < 0.85 {
		t.Errorf("utilisation %.3f", res.Utilisation)
	}
	t.Logf("utilisation %.3f, %d local_on, %d self, %d requeued, %d hands, %d timer, %d switches",
		res.Utilisation, localOn, self, requeued, hands, timer, res.Switches)
}
