package sim

import "testing"

func testParams(cpus int) Params {
	return Params{Topology: TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: cpus, ThreadsPerCore: 1},
		HZ: 1000, Seed: 1, Duration: 1e9}
}

// loop runs forever in bursts of d ns.
func loop(d uint64) Behavior { return BehaviorFunc(func(*Machine, *Task) Action { return Run(d) }) }

func TestBatchTasksShareCPUs(t *testing.T) {
	m, err := NewMachine(testParams(2), &FIFO{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if _, err := m.Spawn(TaskSpec{Comm: "hog", Behavior: loop(1e6)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	if r.Utilisation < 0.99 {
		t.Errorf("utilisation %.3f, want ~1", r.Utilisation)
	}
	// 20 ms slices round-robin through the shared DSQ: each task gets ~half a CPU.
	for _, tr := range r.PerTask {
		if tr.RuntimeNs < 450e6 || tr.RuntimeNs > 550e6 {
			t.Errorf("task %d ran %d ns, want ~500 ms", tr.PID, tr.RuntimeNs)
		}
	}
	if r.Fairness < 0.99 {
		t.Errorf("fairness %.4f", r.Fairness)
	}
	if r.Ejection != nil {
		t.Errorf("ejected: %+v", r.Ejection)
	}
}
