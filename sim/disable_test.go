package sim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// lifeLog records the lifecycle callbacks in order.
type lifeLog struct {
	*testPolicy
	log []string
}

func (p *lifeLog) InitTask(t *Task, _ InitTaskArgs) int32 {
	p.log = append(p.log, "init_task "+t.Comm)
	return 0
}
func (p *lifeLog) Enable(t *Task)  { p.log = append(p.log, "enable "+t.Comm) }
func (p *lifeLog) Disable(t *Task) { p.log = append(p.log, "disable "+t.Comm) }
func (p *lifeLog) ExitTask(t *Task, a ExitTaskArgs) {
	p.log = append(p.log, fmt.Sprintf("exit_task %s %v", t.Comm, a.Cancelled))
	// bypass mode: a kick is dropped, an error ignored
	p.k.KickCPU(0, KickPreempt)
	p.k.Error("from exit_task")
}
func (p *lifeLog) Exit(info *ExitInfo) {
	p.log = append(p.log, "exit "+ExitKindName(info.Kind))
	p.testPolicy.Exit(info)
}

// The disable path (disable.go) at the end of a run and at an ejection:
// ops.disable then ops.exit_task for each task still on the policy, in
// creation order, then ops.exit; tasks that exited are not seen again, an
// RT task gets exit_task only. It costs no simulated time: with a
// callback cost, the run's result is the same whether or not the policy
// implements ops.disable and ops.exit_task (no task exits during the run).
func TestDisablePathOrderAndCost(t *testing.T) {
	run := func(impl Callback, ejectAt uint64) (*Result, *lifeLog) {
		pol := &lifeLog{testPolicy: newTestPolicy(CbInitTask | CbEnable | CbEnqueue | CbExit | impl)}
		pol.enqueue = func(p *Task, fl uint64) {
			if ejectAt > 0 && pol.k.Now() >= ejectAt {
				pol.k.Error("eject")
			}
			pol.k.DSQInsert(p, DSQGlobal, SliceDfl, fl)
		}
		p := testParams(2)
		p.Duration, p.CallbackCost = 50e6, 3000
		m, err := NewMachine(p, pol)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []TaskSpec{{Comm: "a", Behavior: loop(1e6)}, {Comm: "rt", Class: ClassRT, RTPriority: 5,
			Behavior: BehaviorFunc(func(*Machine, *Task) Action { return Sleep(4e6) })}, {Comm: "b", Behavior: loop(3e5)}, {Comm: "c", Behavior: loop(7e5)}} {
			if _, err := m.Spawn(s); err != nil {
				t.Fatal(err)
			}
		}
		res, err := m.Run()
		if err != nil {
			t.Fatal(err)
		}
		return res, pol
	}
	for _, ejectAt := range []uint64{0, 20e6} {
		with, pol := run(CbDisable|CbExitTask, ejectAt)
		without, _ := run(0, ejectAt)
		tail := pol.log[len(pol.log)-8:]
		kind := "SCX_EXIT_UNREG"
		if ejectAt > 0 {
			kind = "SCX_EXIT_ERROR_BPF"
		}
		want := []string{"disable a", "exit_task a false", "exit_task rt false", "disable b", "exit_task b false",
			"disable c", "exit_task c false", "exit " + kind}
		if !reflect.DeepEqual(tail, want) {
			t.Errorf("eject at %d: the log ends with %q, want %q", ejectAt, tail, want)
		}
		if (with.Ejection != nil) != (ejectAt > 0) || with.Exit.KindName != kind {
			t.Errorf("eject at %d: ejection %+v, exit %+v", ejectAt, with.Ejection, with.Exit)
		}
		a, _ := json.Marshal(with)
		b, _ := json.Marshal(without)
		if string(a) != string(b) {
			t.Errorf("eject at %d: the disable path changed the result:\n%s\n%s", ejectAt, a, b)
		}
	}
}
