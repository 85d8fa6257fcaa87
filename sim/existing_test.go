package sim

import (
	"strings"
	"testing"
)

// initLog records ops.init_task's fork argument and ops.enable.
type initLog struct {
	*testPolicy
	forks   []bool
	enabled int
}

func (p *initLog) InitTask(t *Task, a InitTaskArgs) int32 {
	p.forks = append(p.forks, a.Fork)
	return 0
}
func (p *initLog) Enable(t *Task) { p.enabled++ }

// A task that exists before the policy attaches (scx_ops_enable() finds it
// asleep) gets ops.init_task with fork = false and ops.enable, no fork
// wakeup (no select_cpu, no enqueue) until its timer wakes it; a forked
// task gets fork = true, as the kernel's init_enable_count selftest counts.
func TestExistingTaskAtAttach(t *testing.T) {
	pol := &initLog{testPolicy: newTestPolicy(CbInitTask | CbEnable | CbSelectCPU)}
	pol.selectCPU = func(t *Task, _ int32, _ uint64) int32 { // "new" keeps CPU 0 busy
		if t.Comm == "old" {
			return 1
		}
		return 0
	}
	p := testParams(2)
	p.Duration = 10e6
	m, err := NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	var firstRun uint64
	ran := false
	old, err := m.Spawn(TaskSpec{Comm: "old", Existing: true, ExistingSleep: 2e6, Behavior: BehaviorFunc(func(m *Machine, _ *Task) Action {
		if !ran {
			ran, firstRun = true, m.Now()
		}
		return Run(1e5)
	})})
	if err != nil {
		t.Fatal(err)
	}
	if old.State() != TaskSleeping || pol.calls["select_cpu"] != 0 {
		t.Fatalf("existing task at attach: state %v, select_cpu %d", old.State(), pol.calls["select_cpu"])
	}
	if _, err := m.Spawn(TaskSpec{Comm: "new", Behavior: BehaviorFunc(func(*Machine, *Task) Action { return Run(1e5) })}); err != nil {
		t.Fatal(err)
	}
	if len(pol.forks) != 2 || pol.forks[0] || !pol.forks[1] || pol.enabled != 2 {
		t.Fatalf("init_task forks %v, enable %d; want [false true], 2", pol.forks, pol.enabled)
	}
	if _, err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if !ran || firstRun < 2e6 {
		t.Errorf("existing task first ran at %d, want after its 2 ms sleep", firstRun)
	}
	// only before the run, only asleep, only sched_ext
	for _, s := range []TaskSpec{{Comm: "x", Existing: true, Behavior: BehaviorFunc(func(*Machine, *Task) Action { return Exit() })},
		{Comm: "y", Existing: true, ExistingSleep: 1, Class: ClassRT, RTPriority: 1, Behavior: BehaviorFunc(func(*Machine, *Task) Action { return Exit() })}} {
		m, _ := NewMachine(p, newTestPolicy(0))
		if _, err := m.Spawn(s); err == nil || !strings.Contains(err.Error(), "existing task") {
			t.Errorf("%s: %v", s.Comm, err)
		}
	}
	if _, err := m.Spawn(TaskSpec{Comm: "late", Existing: true, ExistingSleep: 1, Behavior: BehaviorFunc(func(*Machine, *Task) Action { return Exit() })}); err == nil {
		t.Error("an existing task after the run started was accepted")
	}
}
