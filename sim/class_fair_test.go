package sim

import (
	"strings"
	"testing"
)

// partialPolicy is reenqPolicy with SCX_OPS_SWITCH_PARTIAL, counting the
// callbacks fair tasks get.
type partialPolicy struct {
	reenqPolicy
	full                                  bool // leave SWITCH_PARTIAL off
	initFair, enableFair, runningFair     int
	initExt, enableExt, exitFair, exitExt int
}

func (p *partialPolicy) Ops() Ops {
	o := p.reenqPolicy.Ops()
	o.Implements |= CbExitTask
	if !p.full {
		o.Flags |= OpsSwitchPartial
	}
	return o
}

func (p *partialPolicy) InitTask(t *Task, _ InitTaskArgs) int32 {
	if t.Class() == ClassFair {
		p.initFair++
	} else {
		p.initExt++
	}
	return 0
}

func (p *partialPolicy) Enable(t *Task) {
	if t.Class() == ClassFair {
		p.enableFair++
	} else {
		p.enableExt++
	}
}

func (p *partialPolicy) ExitTask(t *Task, _ ExitTaskArgs) {
	if t.Class() == ClassFair {
		p.exitFair++
	} else {
		p.exitExt++
	}
}

func (p *partialPolicy) Running(t *Task) {
	if t.Class() == ClassFair {
		p.runningFair++
	}
}

// fairWakeups records the wakeup-to-run latency of fair tasks and which
// class each fair switch-in took the CPU from.
type fairWakeups struct {
	BaseObserver
	woke             map[*Task]uint64
	maxWake          uint64
	fromExt, fairIns int
}

func (o *fairWakeups) Wakeup(at uint64, t *Task, cpu int, _ bool) {
	if t.Class() == ClassFair {
		o.woke[t] = at
	}
}

func (o *fairWakeups) Switch(at uint64, cpu int, prev, next *Task) {
	if next == nil || next.Class() != ClassFair {
		return
	}
	o.fairIns++
	if w, ok := o.woke[next]; ok {
		o.maxWake = max(o.maxWake, at-w)
		delete(o.woke, next)
	}
	if prev != nil && prev.Class() == ClassExt && prev.State() == TaskRunnable {
		o.fromExt++
	}
}

// partialRun runs, on one CPU, a SCHED_EXT hog and a SCHED_NORMAL task that
// runs 2 ms every 10 ms, then exits after 1 s.
func partialRun(t *testing.T, pol *partialPolicy) (*Result, *fairWakeups, *Task, *Task) {
	t.Helper()
	p := testParams(1)
	p.ContextSwitch = 2000
	obs := &fairWakeups{woke: map[*Task]uint64{}}
	p.Observers = []Observer{obs}
	m := mustMachine(t, p, pol)
	hog, err := m.Spawn(TaskSpec{Comm: "hog", SchedExt: true, Behavior: loop(1e6)})
	if err != nil {
		t.Fatal(err)
	}
	normal, err := m.Spawn(TaskSpec{Comm: "normal", Behavior: sleeper(2e6, 8e6)})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := m.Run()
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	return r, obs, hog, normal
}

func TestSwitchPartialFairAboveExt(t *testing.T) {
	pol := &partialPolicy{}
	r, obs, hog, normal := partialRun(t, pol)
	if hog.Class() != ClassExt || normal.Class() != ClassFair || normal.K.Policy != SchedNormal || hog.K.Policy != SchedExt {
		t.Fatalf("classes %v/%v, policies %d/%d; want ext/fair, SCHED_EXT/SCHED_NORMAL", hog.Class(), normal.Class(), hog.K.Policy, normal.K.Policy)
	}
	jobs := obs.fairIns
	if jobs < 90 || jobs > 101 {
		t.Fatalf("the fair task switched in %d times in 1 s at a 10 ms period", jobs)
	}
	// fair is above ext (6.12 class order): each wakeup preempts the hog at once
	if obs.maxWake > 2000 || obs.fromExt < jobs-1 {
		t.Errorf("fair wakeup latency up to %d ns, %d of %d switch-ins preempted the ext hog", obs.maxWake, obs.fromExt, jobs)
	}
	// ... and the policy is told, with SCX_CPU_PREEMPT_UNKNOWN and the fair task
	if len(pol.releases) < jobs-1 {
		t.Errorf("%d cpu_release calls for %d preemptions", len(pol.releases), obs.fromExt)
	}
	for i := range pol.releases {
		if pol.reasons[i] != CPUPreemptUnknown || pol.releaseTask[i] != normal {
			t.Fatalf("cpu_release #%d: reason %d task %v; want SCX_CPU_PREEMPT_UNKNOWN, the fair task", i, pol.reasons[i], pol.releaseTask[i])
		}
	}
	// the ext hog runs whenever the fair task sleeps
	if r.FairTime < 0.19 || r.FairTime > 0.21 || hog.Stats.Runtime < 750e6 {
		t.Errorf("fair time %.4f, ext hog ran %d ns; want 0.2 and the rest", r.FairTime, hog.Stats.Runtime)
	}
	// callbacks: init_task for both, enable and running only for ext
	if pol.initFair != 1 || pol.initExt != 1 || pol.enableFair != 0 || pol.enableExt != 1 || pol.runningFair != 0 {
		t.Errorf("init_task fair/ext %d/%d, enable %d/%d, running(fair) %d; want 1/1, 0/1, 0",
			pol.initFair, pol.initExt, pol.enableFair, pol.enableExt, pol.runningFair)
	}
	var found bool
	for _, tr := range r.PerTask {
		if tr.Comm == "normal" {
			found = tr.Class == "fair"
		}
	}
	if !found {
		t.Errorf("per-task results do not show the fair task's class")
	}
}

func TestWithoutSwitchPartialAllNormalTasksAreExt(t *testing.T) {
	pol := &partialPolicy{full: true}
	r, obs, hog, normal := partialRun(t, pol)
	if normal.Class() != ClassExt || hog.Class() != ClassExt || obs.fairIns != 0 || r.FairTime != 0 {
		t.Fatalf("classes %v/%v, %d fair switch-ins, fair time %v", hog.Class(), normal.Class(), obs.fairIns, r.FairTime)
	}
	if pol.enableExt != 2 || pol.initExt != 2 || len(pol.releases) != 0 {
		t.Errorf("init_task %d, enable %d, cpu_release %d; want 2, 2, 0", pol.initExt, pol.enableExt, len(pol.releases))
	}
}

// A busy fair task starves a sched_ext task on its CPU (no deadline server
// in 6.12); fair tasks share their CPU by vruntime, weighted by nice.
func TestSwitchPartialFairStarvesExtAndSharesByWeight(t *testing.T) {
	p := testParams(2)
	m := mustMachine(t, p, &partialPolicy{})
	ext, _ := m.Spawn(TaskSpec{Comm: "ext", SchedExt: true, Affinity: []int{0}, Behavior: loop(1e6)})
	a, _ := m.Spawn(TaskSpec{Comm: "a", Affinity: []int{0}, Behavior: loop(1e6)})
	b, _ := m.Spawn(TaskSpec{Comm: "b", Nice: 5, Affinity: []int{0}, Behavior: loop(1e6)})
	if ext == nil || a == nil || b == nil {
		t.Fatal("spawn failed")
	}
	r, _ := m.Run()
	if ext.Stats.Runtime > 1e6 {
		t.Errorf("the ext task ran %d ns under two busy fair tasks", ext.Stats.Runtime)
	}
	// nice 0 vs nice 5: weights 1024 and 335
	ratio := float64(a.Stats.Runtime) / float64(b.Stats.Runtime)
	if ratio < 2.7 || ratio > 3.4 {
		t.Errorf("nice 0 / nice 5 runtime ratio %.2f (%d / %d); want about 1024/335 = 3.06", ratio, a.Stats.Runtime, b.Stats.Runtime)
	}
	if r.PerCPU[1].Busy != 0 {
		t.Errorf("CPU 1 busy %.4f: no task may run there", r.PerCPU[1].Busy)
	}
}

func TestSchedPolicyConfig(t *testing.T) {
	src := "[[workload]]\nkind = \"batch\"\nclass = \"rt\"\nsched_policy = \"ext\"\n\n[[workload]]\nkind = \"batch\"\nsched_policy = \"idle\"\n"
	_, err := ParseConfig("p.toml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"p.toml:4:1: ", "sched_policy is for non-RT tasks", "p.toml:8:"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	c, err := ParseConfig("ok.toml", []byte("[[workload]]\nkind = \"batch\"\nsched_policy = \"ext\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Workloads[0].Common().SchedExt {
		t.Errorf("sched_policy = \"ext\" not decoded")
	}
}
