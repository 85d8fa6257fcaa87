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

// slowEnqueue publishes a task in its queue first, then spends 40 µs more
// in ops.enqueue (a Yield): another CPU's ops.dispatch can insert the task
// while its enqueue is still running (ops_state QUEUEING).
type slowEnqueue struct {
	NopScheduler
	k     *Kernel
	queue []*Task
	// redispatch counts ops.dispatch calls on a CPU whose earlier insertion
	// was left pending instead of waited for
	redispatch int
}

func (s *slowEnqueue) Ops() Ops {
	return Ops{Name: "slow-enqueue", Implements: CbEnqueue | CbDispatch}
}

func (s *slowEnqueue) Init(k *Kernel) error { s.k = k; return nil }

func (s *slowEnqueue) Enqueue(p *Task, _ uint64) {
	s.queue = append(s.queue, p)
	if s.k.CanSuspend() {
		s.k.Yield(40_000)
	}
}

func (s *slowEnqueue) Dispatch(cpu int32, _ *Task) {
	for _, t := range s.k.Machine().tasks {
		if t.pendingDsp != nil && t.pendingCPU == int(cpu) {
			s.redispatch++
		}
	}
	if len(s.queue) > 0 {
		p := s.queue[0]
		s.queue = s.queue[1:]
		s.k.DSQInsert(p, DSQLocal, SliceDfl, 0)
	}
}

// TestDispatchWaitsForEnqueue: a dispatch flush that finds its task still
// in ops.enqueue on another CPU waits for it (finish_dispatch()'s
// wait_ops_state) instead of leaving the insertion for later and calling
// ops.dispatch again; the task then runs, nothing stalls.
func TestDispatchWaitsForEnqueue(t *testing.T) {
	run := func() (*Result, *slowEnqueue) {
		p := Params{Topology: TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 4, ThreadsPerCore: 1},
			HZ: 1000, ContextSwitch: 1000, IPI: 500, CallbackCost: 700, Seed: 3, Duration: 200e6, Interleave: true}
		s := &slowEnqueue{}
		m := mustMachine(t, p, s)
		for i := 0; i < 12; i++ {
			spawn(t, m, "w", sleeper(30_000+uint64(i)*7_000, 60_000+uint64(i)*11_000))
		}
		res, err := m.Run()
		if err != nil {
			t.Fatal(err)
		}
		return res, s
	}
	res, s := run()
	if res.Ejection != nil {
		t.Fatalf("ejected: %+v", res.Ejection)
	}
	if res.DispatchWaits == 0 {
		t.Fatal("no dispatch flush found its task in ops.enqueue: the test exercises nothing")
	}
	if s.redispatch != 0 {
		t.Errorf("ops.dispatch called %d times on a CPU with an insertion left pending", s.redispatch)
	}
	for _, tr := range res.PerTask {
		if tr.RuntimeNs == 0 {
			t.Errorf("task %d never ran", tr.PID)
		}
	}
	again, _ := run()
	if again.ScheduleHash != res.ScheduleHash || again.DispatchWaits != res.DispatchWaits {
		t.Errorf("not deterministic: %s/%d vs %s/%d", res.ScheduleHash, res.DispatchWaits, again.ScheduleHash, again.DispatchWaits)
	}
	t.Logf("%d dispatch waits, %d switches, utilisation %.3f", res.DispatchWaits, res.Switches, res.Utilisation)
}
