package sim

import "testing"

func interleavedRun(t *testing.T, seed uint64, interleave bool) *Result {
	p := Params{Topology: TopologySpec{Nodes: 1, LLCsPerNode: 2, CoresPerLLC: 2, ThreadsPerCore: 2},
		HZ: 1000, ContextSwitch: 1000, IPI: 500, CallbackCost: 700, Seed: seed, Duration: 300e6, Interleave: interleave}
	m := mustMachine(t, p, &FIFO{})
	r := m.Rand("w")
	for i := 0; i < 20; i++ {
		run := false
		spawn(t, m, "w", BehaviorFunc(func(*Machine, *Task) Action {
			run = !run
			if run {
				return Run(10_000 + r.Uint64N(400_000))
			}
			return Sleep(10_000 + r.Uint64N(300_000))
		}))
	}
	res, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestInterleaveDeterministic(t *testing.T) {
	a := interleavedRun(t, 5, true)
	b := interleavedRun(t, 5, true)
	if a.ScheduleHash != b.ScheduleHash || a.Switches != b.Switches {
		t.Fatalf("same seed, different schedules: %s/%d vs %s/%d", a.ScheduleHash, a.Switches, b.ScheduleHash, b.Switches)
	}
	if c := interleavedRun(t, 6, true); c.ScheduleHash == a.ScheduleHash {
		t.Error("another seed gave the same schedule hash")
	}
	off := interleavedRun(t, 5, false)
	if a.Switches < off.Switches/2 || a.Utilisation < 0.5 || a.Ejection != nil {
		t.Errorf("interleaved: %d switches, utilisation %.2f, ejection %v; synchronous: %d switches",
			a.Switches, a.Utilisation, a.Ejection, off.Switches)
	}
	// Scheduler time is the callbacks' cost either way.
	if a.SchedTime == 0 || off.SchedTime == 0 {
		t.Errorf("sched time: interleaved %.4f, synchronous %.4f", a.SchedTime, off.SchedTime)
	}
	t.Logf("interleaved %s: %d switches util %.3f sched %.4f; sync: %d switches util %.3f sched %.4f",
		a.ScheduleHash, a.Switches, a.Utilisation, a.SchedTime, off.Switches, off.Utilisation, off.SchedTime)
}
