package sim

import (
	"strings"
	"testing"
)

// testPolicy is a Scheduler whose callbacks are function fields.
type testPolicy struct {
	NopScheduler
	ops        Ops
	k          *Kernel
	init       func(k *Kernel) error
	selectCPU  func(p *Task, prev int32, wf uint64) int32
	enqueue    func(p *Task, fl uint64)
	dispatch   func(cpu int32, prev *Task)
	running    func(p *Task)
	calls      map[string]int
	enqFlags   []uint64
	runningLog []string
	exitInfo   *ExitInfo
}

func (p *testPolicy) Exit(info *ExitInfo) { p.exitInfo = info }

func newTestPolicy(impl Callback) *testPolicy {
	return &testPolicy{ops: Ops{Name: "test", Implements: impl | CbInit | CbRunning}, calls: map[string]int{}}
}

func (p *testPolicy) Ops() Ops { return p.ops }
func (p *testPolicy) Init(k *Kernel) error {
	p.k = k
	if p.init != nil {
		return p.init(k)
	}
	return nil
}
func (p *testPolicy) SelectCPU(t *Task, prev int32, wf uint64) int32 {
	p.calls["select_cpu"]++
	if p.selectCPU != nil {
		return p.selectCPU(t, prev, wf)
	}
	return prev
}
func (p *testPolicy) Enqueue(t *Task, fl uint64) {
	p.calls["enqueue"]++
	p.enqFlags = append(p.enqFlags, fl)
	if p.enqueue != nil {
		p.enqueue(t, fl)
	}
}
func (p *testPolicy) Dispatch(cpu int32, prev *Task) {
	p.calls["dispatch"]++
	if p.dispatch != nil {
		p.dispatch(cpu, prev)
	}
}
func (p *testPolicy) Running(t *Task) {
	p.calls["running"]++
	p.runningLog = append(p.runningLog, t.Comm)
	if p.running != nil {
		p.running(t)
	}
}

func mustMachine(t *testing.T, p Params, s Scheduler) *Machine {
	t.Helper()
	m, err := NewMachine(p, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func spawn(t *testing.T, m *Machine, comm string, b Behavior) *Task {
	t.Helper()
	tk, err := m.Spawn(TaskSpec{Comm: comm, Behavior: b})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// sleeper computes run ns then sleeps sleep ns, forever.
func sleeper(run, sleep uint64) Behavior {
	ran := false
	return BehaviorFunc(func(*Machine, *Task) Action {
		ran = !ran
		if ran {
			return Run(run)
		}
		return Sleep(sleep)
	})
}

func TestDirectDispatchFromSelectCPUSkipsEnqueue(t *testing.T) {
	pol := newTestPolicy(CbSelectCPU | CbEnqueue)
	pol.selectCPU = func(p *Task, prev int32, wf uint64) int32 {
		pol.k.DSQInsert(p, DSQLocal, SliceDfl, 0)
		return prev
	}
	pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsert(p, DSQGlobal, SliceDfl, fl) }
	m := mustMachine(t, testParams(2), pol)
	for i := 0; i < 3; i++ {
		spawn(t, m, "s", sleeper(1e5, 1e6))
	}
	r, _ := m.Run()
	if pol.calls["select_cpu"] < 100 {
		t.Fatalf("select_cpu called %d times", pol.calls["select_cpu"])
	}
	if pol.calls["enqueue"] != 0 {
		t.Errorf("enqueue called %d times; direct dispatch to SCX_DSQ_LOCAL must skip it", pol.calls["enqueue"])
	}
	if r.Ejection != nil {
		t.Errorf("ejected: %+v", r.Ejection)
	}
}

func TestNoEnqueueCallbackMeansGlobalDSQ(t *testing.T) {
	// select_cpu alternates CPUs without dispatching; with no ops.enqueue
	// the core must put tasks on the global DSQ, from which both CPUs
	// consume. (Like the kernel, the core kicks only the selected CPU.)
	pol := newTestPolicy(CbSelectCPU)
	pol.selectCPU = func(p *Task, prev int32, wf uint64) int32 { return 1 - prev }
	m := mustMachine(t, testParams(2), pol)
	var maxGlobal int
	m.OnEnd(func(*Machine) {})
	for i := 0; i < 4; i++ {
		spawn(t, m, "s", sleeper(2e5, 1e5))
	}
	probe := func() {}
	probe = func() {
		maxGlobal = max(maxGlobal, m.globals[0].Len())
		m.After(50e3, probe)
	}
	m.After(0, probe)
	r, _ := m.Run()
	if maxGlobal == 0 {
		t.Fatal("the global DSQ never held a task")
	}
	for _, c := range r.PerCPU {
		if c.Busy < 0.5 {
			t.Errorf("CPU %d busy %.2f: it should consume from the global DSQ", c.CPU, c.Busy)
		}
	}
}

func TestVtimeDSQOrder(t *testing.T) {
	// One CPU; tasks enqueue into a vtime DSQ with vtime = 100 - pid, so
	// they must run in decreasing pid order after the first.
	pol := newTestPolicy(CbSelectCPU | CbEnqueue | CbDispatch)
	pol.init = func(k *Kernel) error { k.CreateDSQ(7, -1); return nil }
	pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsertVtime(p, 7, 1e6, uint64(100-p.PID), fl) }
	pol.dispatch = func(cpu int32, prev *Task) { pol.k.DSQMoveToLocal(7) }
	p := testParams(1)
	p.Duration = 10e6
	m := mustMachine(t, p, pol)
	names := []string{"a", "b", "c", "d", "e"}
	for _, n := range names {
		done := false
		spawn(t, m, n, BehaviorFunc(func(*Machine, *Task) Action {
			if done {
				return Exit()
			}
			done = true
			return Run(1e6)
		}))
	}
	m.Run()
	got := strings.Join(pol.runningLog, "")
	// All five are queued before the CPU first schedules (spawns happen at
	// t=0 before any event), so the first pick is already in vtime order.
	if got != "edcba" {
		t.Errorf("running order %q, want edcba (vtime order)", got)
	}
}

func TestVtimeIntoBuiltinDSQIsAnError(t *testing.T) {
	pol := newTestPolicy(CbSelectCPU | CbEnqueue)
	pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsertVtime(p, DSQGlobal, SliceDfl, 5, fl) }
	m := mustMachine(t, testParams(2), pol)
	spawn(t, m, "a", sleeper(1e5, 1e5))
	r, _ := m.Run()
	if r.Ejection == nil || !strings.Contains(r.Ejection.Msg, "cannot use vtime ordering for built-in DSQs") {
		t.Fatalf("ejection %+v", r.Ejection)
	}
	if r.PerTask[0].RuntimeNs < 400e6 {
		t.Errorf("task ran only %d ns: the run must continue under the fallback", r.PerTask[0].RuntimeNs)
	}
}

func TestMixingFIFOAndVtimeIsAnError(t *testing.T) {
	pol := newTestPolicy(CbEnqueue | CbDispatch)
	pol.init = func(k *Kernel) error { k.CreateDSQ(3, -1); return nil }
	n := 0
	pol.enqueue = func(p *Task, fl uint64) {
		n++
		if n%2 == 0 {
			pol.k.DSQInsertVtime(p, 3, SliceDfl, 1, fl)
		} else {
			pol.k.DSQInsert(p, 3, SliceDfl, fl)
		}
	}
	pol.dispatch = func(int32, *Task) {} // never consume: the DSQ fills up
	m := mustMachine(t, testParams(1), pol)
	for i := 0; i < 3; i++ {
		spawn(t, m, "x", sleeper(1e5, 1e5))
	}
	r, _ := m.Run()
	if r.Ejection == nil || !strings.Contains(r.Ejection.Msg, "already had FIFO-enqueued tasks") {
		t.Fatalf("ejection %+v", r.Ejection)
	}
	// dispatch_enqueue() reports it with scx_ops_error() (ext.c 6.12):
	// SCX_EXIT_ERROR, not SCX_EXIT_ERROR_BPF
	if r.Ejection.Policy != "test" || r.Ejection.Kind != ExitError || r.Ejection.Reason != "runtime error" {
		t.Errorf("ejection %+v", r.Ejection)
	}
}

func TestSliceExpiryPreemptsAtTick(t *testing.T) {
	// One CPU, HZ=1000, slice 2.5 ms: the slice runs out at 2.5 ms and the
	// task is preempted at the next tick, 3 ms.
	pol := newTestPolicy(CbEnqueue)
	var switchTimes []uint64
	pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsert(p, DSQGlobal, 2_500_000, fl) }
	pol.running = func(p *Task) { switchTimes = append(switchTimes, pol.k.Now()) }
	pol.ops.Implements |= CbRunning
	p := testParams(1)
	p.Duration = 20e6
	m := mustMachine(t, p, pol)
	spawn(t, m, "a", loop(1e9))
	spawn(t, m, "b", loop(1e9))
	m.Run()
	if len(switchTimes) < 4 {
		t.Fatalf("switches at %v", switchTimes)
	}
	for i := 1; i < 4; i++ {
		if d := switchTimes[i] - switchTimes[i-1]; d != 3_000_000 {
			t.Errorf("switch %d after %d ns, want 3 ms (slice 2.5 ms rounded up to the tick)", i, d)
		}
	}
}

func TestKickPreempt(t *testing.T) {
	// A hog with an infinite slice runs on CPU 0; a timer at 5 ms kicks CPU
	// 0 with SCX_KICK_PREEMPT: the hog must be switched out then, and the
	// waiting task run. (Timer events run on CPU 0, so no IPI delay.)
	pol := newTestPolicy(CbEnqueue | CbDispatch)
	pol.init = func(k *Kernel) error { k.CreateDSQ(1, -1); return nil }
	pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsert(p, 1, SliceInf, fl) }
	pol.dispatch = func(int32, *Task) { pol.k.DSQMoveToLocal(1) }
	var at []uint64
	pol.running = func(p *Task) { at = append(at, pol.k.Now()) }
	pol.ops.Implements |= CbRunning
	p := testParams(1)
	p.Duration = 50e6
	p.IPI = 1000
	m := mustMachine(t, p, pol)
	spawn(t, m, "hog", loop(1e9))
	spawn(t, m, "other", loop(1e9))
	m.At(5e6, func() { pol.k.KickCPU(0, KickPreempt) })
	m.Run()
	if len(at) != 2 || at[1] != 5e6 {
		t.Fatalf("running at %v, want [0 5000000]", at)
	}
	// Without the kick the hog would run for the whole run.
	pol2 := newTestPolicy(CbEnqueue | CbDispatch)
	pol2.init = pol.init
	pol2.enqueue = func(p *Task, fl uint64) { pol2.k.DSQInsert(p, 1, SliceInf, fl) }
	pol2.dispatch = func(int32, *Task) { pol2.k.DSQMoveToLocal(1) }
	m2 := mustMachine(t, p, pol2)
	spawn(t, m2, "hog", loop(1e9))
	spawn(t, m2, "other", loop(1e9))
	m2.Run()
	if len(pol2.runningLog) != 1 {
		t.Errorf("without a kick: %v", pol2.runningLog)
	}
}

func TestEnqLast(t *testing.T) {
	run := func(flags uint64) *testPolicy {
		pol := newTestPolicy(CbEnqueue)
		pol.ops.Flags = flags
		pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsert(p, DSQLocal, 1e6, fl) }
		p := testParams(1)
		p.Duration = 20e6
		m := mustMachine(t, p, pol)
		spawn(t, m, "only", loop(1e9))
		m.Run()
		return pol
	}
	with := run(OpsEnqLast)
	last := 0
	for _, f := range with.enqFlags {
		if f&EnqLast != 0 {
			last++
		}
	}
	if last < 10 {
		t.Errorf("with SCX_OPS_ENQ_LAST: %d enqueues with SCX_ENQ_LAST, want one per expired slice (~19)", last)
	}
	without := run(0)
	// (On a 1-CPU machine the fork path skips select_cpu and enqueues once.)
	if len(without.enqFlags) != 1 || without.enqFlags[0]&EnqLast != 0 || len(without.runningLog) != 1 {
		t.Errorf("without SCX_OPS_ENQ_LAST the only task must keep running: enqueues %v, switched in %d times",
			without.enqFlags, len(without.runningLog))
	}
}

func TestWatchdogStall(t *testing.T) {
	// enqueue keeps the task in custody and dispatch never dispatches it.
	pol := newTestPolicy(CbEnqueue | CbDispatch)
	pol.ops.TimeoutMs = 400
	m := mustMachine(t, testParams(1), pol)
	spawn(t, m, "starved", loop(1e6))
	r, _ := m.Run()
	if r.Ejection == nil || r.Ejection.Kind != ExitErrorStall ||
		!strings.Contains(r.Ejection.Msg, "starved[1] failed to run for") {
		t.Fatalf("ejection %+v", r.Ejection)
	}
	if r.Ejection.AtNs < 400e6 || r.Ejection.AtNs > 700e6 {
		t.Errorf("stall detected at %d ns; timeout 400 ms, scans every 200 ms", r.Ejection.AtNs)
	}
	if r.PerTask[0].RuntimeNs < 250e6 {
		t.Errorf("after ejection the task must run under the fallback (ran %d ns)", r.PerTask[0].RuntimeNs)
	}
}

func TestDispatchBatching(t *testing.T) {
	// enqueue parks tasks in custody; dispatch inserts all of them into the
	// local DSQ in one call, up to the batch size.
	var parked []*Task
	pol := newTestPolicy(CbEnqueue | CbDispatch)
	pol.ops.DispatchMaxBatch = 4
	pol.enqueue = func(p *Task, fl uint64) { parked = append(parked, p) }
	maxBatch := 0
	pol.dispatch = func(cpu int32, prev *Task) {
		n := 0
		for len(parked) > 0 && pol.k.DispatchNrSlots() > 0 {
			pol.k.DSQInsert(parked[0], DSQLocal, 1e6, 0)
			parked = parked[1:]
			n++
		}
		maxBatch = max(maxBatch, n)
	}
	p := testParams(1)
	p.Duration = 30e6
	m := mustMachine(t, p, pol)
	for i := 0; i < 6; i++ {
		spawn(t, m, "t", loop(1e9))
	}
	r, _ := m.Run()
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	if maxBatch != 4 {
		t.Errorf("largest batch %d, want dispatch_max_batch = 4", maxBatch)
	}
	// Overflowing the buffer is an error, as in the kernel.
	pol2 := newTestPolicy(CbEnqueue | CbDispatch)
	pol2.ops.DispatchMaxBatch = 2
	var parked2 []*Task
	pol2.enqueue = func(p *Task, fl uint64) { parked2 = append(parked2, p) }
	pol2.dispatch = func(int32, *Task) {
		for _, t := range parked2 {
			pol2.k.DSQInsert(t, DSQLocal, 1e6, 0)
		}
		parked2 = nil
	}
	m2 := mustMachine(t, p, pol2)
	for i := 0; i < 3; i++ {
		spawn(t, m2, "t", loop(1e9))
	}
	r2, _ := m2.Run()
	if r2.Ejection == nil || !strings.Contains(r2.Ejection.Msg, "dispatch buffer overflow") {
		t.Errorf("ejection %+v", r2.Ejection)
	}
}
