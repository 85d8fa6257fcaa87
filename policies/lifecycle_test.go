package policies

import (
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// The disable path (sim/disable.go, scx_ops_disable_workfn() in ext.c
// 6.12) calls ops.disable and ops.exit_task for every task still on the
// scheduler before ops.exit, at the end of a run (unregistration) and at an
// ejection: afterwards init_task == exit_task and enable == disable, as the
// kernel's init_enable_count selftest asserts, every ops.disable comes
// before its task's ops.exit_task, and ops.exit sees all of them done.
func TestDisablePathPairsCallbacks(t *testing.T) {
	for _, tc := range []struct {
		name       string
		errorAfter uint64
		interleave bool
	}{{"unregister", 0, false}, {"ejection", 5, false}, {"unregister-interleaved", 0, true}, {"ejection-interleaved", 5, true}} {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := bpfvm.LoadObject("testdata/lifecycle.bpf.o")
			if err != nil {
				t.Fatal(err)
			}
			pol, err := LoadObject(obj, Options{NumCPUs: 2, Params: map[string]any{"error_after": tc.errorAfter}})
			if err != nil {
				t.Fatal(err)
			}
			defer pol.Close()
			p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
				HZ: 1000, Seed: 1, Duration: 50e6, Interleave: tc.interleave}
			m, err := sim.NewMachine(p, pol)
			if err != nil {
				t.Fatal(err)
			}
			spawn := func(s sim.TaskSpec) {
				t.Helper()
				if _, err := m.Spawn(s); err != nil {
					t.Fatal(err)
				}
			}
			// already there at attach, forked and still running at the
			// end, forked and exiting early, and an RT task (init_task
			// and exit_task, never enable)
			spawn(sim.TaskSpec{Comm: "old", Existing: true, ExistingSleep: 1e6, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action { return sim.Run(3e5) })})
			for range 3 {
				spawn(sim.TaskSpec{Comm: "hog", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action { return sim.Run(2e6) })})
			}
			n := 0
			spawn(sim.TaskSpec{Comm: "short", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
				if n++; n > 3 {
					return sim.Exit()
				}
				return sim.Run(1e5)
			})})
			spawn(sim.TaskSpec{Comm: "rt", Class: sim.ClassRT, RTPriority: 10, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action { return sim.Sleep(5e6) })})
			res, err := m.Run()
			if err != nil {
				t.Fatal(err)
			}
			if (res.Ejection != nil) != (tc.errorAfter != 0) {
				t.Fatalf("ejection %+v", res.Ejection)
			}
			g := func(name string) uint64 { return globalU64(t, pol, name) }
			if g("init_task_cnt") != 6 || g("exit_task_cnt") != 6 {
				t.Errorf("init_task %d, exit_task %d; want 6 and 6", g("init_task_cnt"), g("exit_task_cnt"))
			}
			if g("enable_cnt") != 5 || g("disable_cnt") != 5 {
				t.Errorf("enable %d, disable %d; want 5 and 5 (the RT task is not enabled)", g("enable_cnt"), g("disable_cnt"))
			}
			if g("init_fork_cnt") != 5 {
				t.Errorf("init_task with fork: %d, want 5", g("init_fork_cnt"))
			}
			if g("bad_order_cnt") != 0 || g("cancelled_cnt") != 0 {
				t.Errorf("%d callbacks out of order, %d cancelled exit_tasks", g("bad_order_cnt"), g("cancelled_cnt"))
			}
			if g("exit_task_at_exit") != 6 || g("disable_at_exit") != 5 {
				t.Errorf("ops.exit saw %d exit_task and %d disable calls, want all (6, 5)", g("exit_task_at_exit"), g("disable_at_exit"))
			}
		})
	}
}
