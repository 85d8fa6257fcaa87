package sim

import (
	"strings"
	"testing"
)

// reenqPolicy is scx_qmap's handling of higher classes in Go: one shared
// FIFO DSQ; ops.cpu_release re-enqueues the CPU's local DSQ
// (scx_bpf_reenqueue_local), and ops.enqueue sends SCX_ENQ_REENQ tasks to
// the shared DSQ and kicks an idle CPU for them.
type reenqPolicy struct {
	NopScheduler
	k                  *Kernel
	noRelease          bool   // implement neither cpu_release nor cpu_acquire
	timeoutMs          uint32 // ops.timeout_ms
	releases, acquires []int
	reasons            []int32
	releaseTask        []*Task
	reenqueued         uint32
	reenqEnqueues      int
	runningRT          int
	initRT, enableRT   int
	acquireWhileRT     int
}

func (p *reenqPolicy) Ops() Ops {
	o := Ops{Name: "reenq", TimeoutMs: p.timeoutMs, Implements: CbInit | CbSelectCPU | CbEnqueue | CbDispatch | CbRunning | CbInitTask | CbEnable}
	if !p.noRelease {
		o.Implements |= CbCPUAcquire | CbCPURelease
	}
	return o
}

func (p *reenqPolicy) Init(k *Kernel) error {
	p.k = k
	if r := k.CreateDSQ(0, -1); r != 0 {
		return errnoError(r)
	}
	return nil
}

func (p *reenqPolicy) SelectCPU(t *Task, prev int32, wf uint64) int32 {
	cpu, idle := p.k.SelectCPUDfl(t, prev, wf)
	if idle {
		p.k.DSQInsert(t, DSQLocal, 1e6, 0)
	}
	return cpu
}

func (p *reenqPolicy) Enqueue(t *Task, fl uint64) {
	if fl&EnqReenq != 0 {
		p.reenqEnqueues++
		p.k.DSQInsert(t, 0, 0, fl)
		if cpu := p.k.PickIdleCPU(&t.K.CpusMask, 0); cpu >= 0 {
			p.k.KickCPU(cpu, KickIdle)
		}
		return
	}
	p.k.DSQInsert(t, 0, 1e6, fl)
}

func (p *reenqPolicy) Dispatch(cpu int32, prev *Task) { p.k.DSQMoveToLocal(0) }

func (p *reenqPolicy) Running(t *Task) {
	if t.Class() != ClassExt {
		p.runningRT++
	}
}

func (p *reenqPolicy) InitTask(t *Task, _ InitTaskArgs) int32 {
	if t.Class() == ClassRT {
		p.initRT++
	}
	return 0
}

func (p *reenqPolicy) Enable(t *Task) {
	if t.Class() == ClassRT {
		p.enableRT++
	}
}

func (p *reenqPolicy) CPURelease(cpu int32, args CPUReleaseArgs) {
	p.releases = append(p.releases, int(cpu))
	p.reasons = append(p.reasons, args.Reason)
	p.releaseTask = append(p.releaseTask, args.Task)
	p.reenqueued += p.k.ReenqueueLocal()
}

func (p *reenqPolicy) CPUAcquire(cpu int32) {
	p.acquires = append(p.acquires, int(cpu))
	if c := p.k.CurrTask(cpu); c != nil && c.Class() == ClassRT && c.State() == TaskRunning {
		p.acquireWhileRT++
	}
}

// preemptions watches RT tasks taking CPUs from sched_ext tasks: the RT
// wakeup latency, and where each preempted task runs next.
type preemptions struct {
	BaseObserver
	woke       map[*Task]uint64
	maxWake    uint64
	rtSwitches int
	preempted  map[*Task]int // preempted ext task -> the CPU it lost
	takeovers  int           // RT switch-ins that preempted an ext task
	elsewhere  int
	same       int
}

func (o *preemptions) Wakeup(at uint64, t *Task, cpu int, _ bool) {
	if t.Class() == ClassRT {
		o.woke[t] = at
	}
}

func (o *preemptions) Switch(at uint64, cpu int, prev, next *Task) {
	if next != nil && next.Class() == ClassRT {
		o.rtSwitches++
		if w, ok := o.woke[next]; ok {
			o.maxWake = max(o.maxWake, at-w)
			delete(o.woke, next)
		}
		if prev != nil && prev.Class() == ClassExt {
			o.takeovers++
			if prev.State() == TaskRunnable {
				o.preempted[prev] = cpu
			}
		}
	}
	if next != nil && next.Class() == ClassExt {
		if lost, ok := o.preempted[next]; ok {
			if lost == cpu {
				o.same++
			} else {
				o.elsewhere++
			}
			delete(o.preempted, next)
		}
	}
}

// rtRun runs two workers (100-500 us of CPU, 100 us of sleep, repeated) on
// two CPUs, and a periodic RT task pinned to CPU 0 (2 ms every 10 ms).
func rtRun(t *testing.T, pol *reenqPolicy) (*Result, *preemptions, *Task) {
	t.Helper()
	p := testParams(2)
	p.ContextSwitch, p.IPI = 2000, 1000
	obs := &preemptions{woke: map[*Task]uint64{}, preempted: map[*Task]int{}}
	p.Observers = []Observer{obs}
	m := mustMachine(t, p, pol)
	for _, n := range []string{"worker-a", "worker-b"} {
		rnd := m.Rand(n)
		ran := false
		spawn(t, m, n, BehaviorFunc(func(*Machine, *Task) Action {
			if ran = !ran; ran {
				return Run(100e3 + rnd.Uint64N(400e3))
			}
			return Sleep(100e3)
		}))
	}
	rt, err := m.Spawn(TaskSpec{Comm: "irq", Class: ClassRT, RTPriority: 50, Affinity: []int{0}, Behavior: sleeper(2e6, 8e6)})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := m.Run()
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	return r, obs, rt
}

func TestRTPreemptsAndReleasesCPU(t *testing.T) {
	pol := &reenqPolicy{}
	r, obs, rt := rtRun(t, pol)
	jobs := int(rt.Stats.Switches)
	t.Logf("%d RT jobs, %d took a CPU from a sched_ext task; cpu_release %d, cpu_acquire %d, reenqueued %d; preempted tasks next ran elsewhere %d, on the same CPU %d",
		jobs, obs.takeovers, len(pol.releases), len(pol.acquires), pol.reenqueued, obs.elsewhere, obs.same)
	if jobs < 90 || jobs > 101 {
		t.Fatalf("the RT task ran %d times in 1 s at a 10 ms period", jobs)
	}
	// every RT job that took the CPU from a sched_ext task (not from the
	// idle task) made one cpu_release, with the RT task and reason
	// SCX_CPU_PREEMPT_RT, and one cpu_acquire when the CPU came back
	if len(pol.releases) != obs.takeovers || obs.takeovers < jobs/2 {
		t.Errorf("%d cpu_release calls for %d RT jobs, %d of them preempting sched_ext tasks", len(pol.releases), jobs, obs.takeovers)
	}
	if n := len(pol.acquires); n != len(pol.releases) && n != len(pol.releases)-1 {
		t.Errorf("%d cpu_acquire calls after %d cpu_release calls", n, len(pol.releases))
	}
	for i, cpu := range pol.releases {
		if cpu != 0 || pol.reasons[i] != CPUPreemptRT || pol.releaseTask[i] != rt {
			t.Fatalf("cpu_release #%d: cpu %d reason %d task %v; want cpu 0, SCX_CPU_PREEMPT_RT, the RT task", i, cpu, pol.reasons[i], pol.releaseTask[i])
		}
	}
	if pol.acquireWhileRT != 0 {
		t.Errorf("cpu_acquire called %d times while the RT task was still running", pol.acquireWhileRT)
	}
	// the preempted hog (head of the local DSQ, slice left) is
	// re-enqueued each time, with SCX_ENQ_REENQ
	if int(pol.reenqueued) < obs.takeovers*9/10 || pol.reenqEnqueues != int(pol.reenqueued) {
		t.Errorf("reenqueue_local returned %d in all, ops.enqueue saw SCX_ENQ_REENQ %d times, for %d preemptions", pol.reenqueued, pol.reenqEnqueues, obs.takeovers)
	}
	// ... and runs on the other CPU instead of waiting for the RT task
	if obs.elsewhere < obs.takeovers*9/10 {
		t.Errorf("preempted tasks ran next on another CPU %d times, on the CPU they lost %d times (of %d)", obs.elsewhere, obs.same, obs.takeovers)
	}
	// RT preempts at once: wakeup to switch in is the context switch
	if obs.maxWake > 2000 {
		t.Errorf("RT wakeup latency up to %d ns; want the 2000 ns context switch", obs.maxWake)
	}
	// RT tasks get init_task, never enable or the scheduling callbacks
	if pol.initRT != 1 || pol.enableRT != 0 || pol.runningRT != 0 {
		t.Errorf("RT task: init_task %d, enable %d, running %d calls; want 1, 0, 0", pol.initRT, pol.enableRT, pol.runningRT)
	}
	if r.RTTime < 0.09 || r.RTTime > 0.11 || r.PerCPU[0].RT < 0.18 || r.PerCPU[1].RT != 0 {
		t.Errorf("RT time %.4f of the machine, per CPU %.4f %.4f; want 0.1, 0.2 on CPU 0", r.RTTime, r.PerCPU[0].RT, r.PerCPU[1].RT)
	}
	var found bool
	for _, tr := range r.PerTask {
		if tr.Comm == "irq" {
			found = tr.Class == "rt" && tr.RTPriority == 50
		}
	}
	if !found {
		t.Errorf("per-task results do not show the RT task's class")
	}
}

func TestRTWithoutReleaseKeepsPreemptedTaskLocal(t *testing.T) {
	// Without ops.cpu_release the preempted task waits at the head of the
	// CPU's local DSQ and runs there again once the RT task is done.
	pol := &reenqPolicy{noRelease: true}
	_, obs, rt := rtRun(t, pol)
	if len(pol.releases)+len(pol.acquires) != 0 {
		t.Fatalf("cpu_release/acquire called without being implemented")
	}
	t.Logf("%d RT jobs took a CPU from a sched_ext task; preempted tasks next ran elsewhere %d, on the same CPU %d", obs.takeovers, obs.elsewhere, obs.same)
	if n := obs.takeovers; n < int(rt.Stats.Switches)/2 || obs.same < n*9/10 {
		t.Errorf("preempted tasks ran next on the CPU they lost %d times, elsewhere %d (of %d)", obs.same, obs.elsewhere, n)
	}
}

func TestRTSchedulesDeterministically(t *testing.T) {
	a, _, _ := rtRun(t, &reenqPolicy{})
	b, _, _ := rtRun(t, &reenqPolicy{})
	if a.ScheduleHash != b.ScheduleHash {
		t.Fatalf("same seed, different schedules: %s %s", a.ScheduleHash, b.ScheduleHash)
	}
}

func TestRTPriorityPreemptsAndPushes(t *testing.T) {
	// lo (rt 10) runs on CPU 0; hi (rt 90) wakes there: it preempts lo,
	// which is pushed to CPU 1 (running a sched_ext hog, the lowest
	// priority) and preempts the hog there.
	pol := &reenqPolicy{}
	p := testParams(2)
	m := mustMachine(t, p, pol)
	spawn(t, m, "hog", loop(1e9))
	var loSwitchCPU []int
	m.OnSwitch(func(at uint64, cpu int, prev, next *Task) {
		if next != nil && next.Comm == "lo" {
			loSwitchCPU = append(loSwitchCPU, cpu)
		}
	})
	lo, err := m.Spawn(TaskSpec{Comm: "lo", Class: ClassRT, RTPriority: 10, Behavior: loop(1e9)})
	if err != nil {
		t.Fatal(err)
	}
	var hi *Task
	m.AtOn(5e6, lo.CPU(), func() {
		hi, err = m.Spawn(TaskSpec{Comm: "hi", Class: ClassRT, RTPriority: 90, Affinity: []int{lo.CPU()}, Behavior: sleeper(1e6, 1e9)})
	})
	m.RunUntil(5.5e6)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.CPUs()[lo.CPU()]; c.Curr() != lo || hi.CPU() == lo.CPU() || hi.State() != TaskRunning {
		t.Fatalf("lo on cpu %d (curr %v), hi on cpu %d %s; want hi running, lo pushed to the other CPU", lo.CPU(), m.CPUs()[lo.CPU()].Curr(), hi.CPU(), hi.State())
	}
	if len(loSwitchCPU) != 2 || loSwitchCPU[0] == loSwitchCPU[1] {
		t.Errorf("lo switched in on CPUs %v; want two different CPUs", loSwitchCPU)
	}
	m.RunUntil(20e6)
	// hi slept: its CPU pulled nothing (lo runs elsewhere) and went back to sched_ext
	if got := m.CPUs()[hi.CPU()].Curr(); got == nil || got.Comm != "hog" {
		t.Errorf("after hi slept its CPU runs %v; want the hog back", got)
	}
}

func TestReenqueueLocalOnlyFromCPURelease(t *testing.T) {
	pol := newTestPolicy(CbEnqueue | CbDispatch)
	pol.enqueue = func(p *Task, fl uint64) {
		pol.k.ReenqueueLocal()
		pol.k.DSQInsert(p, DSQGlobal, SliceDfl, fl)
	}
	m := mustMachine(t, testParams(1), pol)
	spawn(t, m, "s", sleeper(1e5, 1e5))
	r, _ := m.Run()
	if r.Ejection == nil || !strings.Contains(r.Ejection.Msg, "scx_bpf_reenqueue_local called from ops.enqueue") {
		t.Fatalf("ejection %+v; want scx_bpf_reenqueue_local refused outside ops.cpu_release", r.Ejection)
	}
}

func TestRTTaskSpecChecked(t *testing.T) {
	m := mustMachine(t, testParams(1), nil)
	for _, s := range []TaskSpec{
		{Comm: "a", Class: ClassRT, RTPriority: 0, Behavior: loop(1)},
		{Comm: "b", Class: ClassRT, RTPriority: 100, Behavior: loop(1)},
		{Comm: "c", RTPriority: 5, Behavior: loop(1)},
	} {
		if _, err := m.Spawn(s); err == nil {
			t.Errorf("Spawn(%+v) accepted", s)
		}
	}
}

func TestRTHogStallsPinnedTask(t *testing.T) {
	// A sched_ext task that may run only on a CPU an RT task never leaves
	// stays runnable: the watchdog ejects the policy, as the kernel's would.
	pol := &reenqPolicy{timeoutMs: 100}
	p := testParams(2)
	m := mustMachine(t, p, pol)
	if _, err := m.Spawn(TaskSpec{Comm: "rthog", Class: ClassRT, RTPriority: 1, Affinity: []int{0}, Behavior: loop(1e9)}); err != nil {
		t.Fatal(err)
	}
	pinned, err := m.Spawn(TaskSpec{Comm: "pinned", Affinity: []int{0}, Behavior: loop(1e9)})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := m.Run()
	if r.Ejection == nil || r.Ejection.Kind != ExitErrorStall || !strings.Contains(r.Ejection.Msg, "pinned[2] failed to run") {
		t.Fatalf("ejection %+v; want the watchdog's stall of the pinned task", r.Ejection)
	}
	if pinned.Stats.Runtime != 0 {
		t.Errorf("the pinned task ran %d ns", pinned.Stats.Runtime)
	}
	if !strings.Contains(r.Exit.Dump, "curr=rthog[1] class=rt_sched_class") {
		t.Errorf("the dump does not show the RT task on CPU 0:\n%s", r.Exit.Dump)
	}
}

func TestRTRoundRobin(t *testing.T) {
	// Two CPU-bound RT tasks of one priority pinned to CPU 0: SCHED_FIFO
	// lets the first run forever; SCHED_RR alternates them every 100 ms.
	for _, rr := range []bool{false, true} {
		m := mustMachine(t, testParams(2), &reenqPolicy{})
		var ts []*Task
		for _, n := range []string{"a", "b"} {
			tk, err := m.Spawn(TaskSpec{Comm: n, Class: ClassRT, RTPriority: 10, RTRoundRobin: rr, Affinity: []int{0}, Behavior: loop(1e9)})
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, tk)
		}
		m.Run()
		a, b := ts[0].Stats.Runtime, ts[1].Stats.Runtime
		switch {
		case !rr && (b != 0 || ts[0].K.Policy != SchedFIFO):
			t.Errorf("SCHED_FIFO: a ran %d ns, b %d ns; want b never", a, b)
		case rr && (ts[0].Stats.Switches < 5 || a < 450e6 || b < 450e6 || ts[1].K.Policy != SchedRR):
			t.Errorf("SCHED_RR: a ran %d ns in %d turns, b %d ns; want about 500 ms each in 100 ms turns", a, ts[0].Stats.Switches, b)
		}
	}
}
