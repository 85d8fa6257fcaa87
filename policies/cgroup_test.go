package policies

import (
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// TestCgroupPolicy runs testdata/cgroup.bpf.o on a machine with the
// hierarchy / (root), /a (weight 300), /a/x (50), /b (1): ops.cgroup_init
// runs for each, parents first, with its weight; tasks of workloads in /a/x
// and /b find their cgroup through scx_bpf_task_cgroup; a task moves
// between cgroups (prep_move, move; a refused move to /b is cancelled); a
// weight change reaches ops.cgroup_set_weight.
func TestCgroupPolicy(t *testing.T) { forEngines(t, testCgroupPolicy) }

func testCgroupPolicy(t *testing.T, engine string) {
	pol, err := Open("testdata/cgroup.bpf.o", Options{NumCPUs: 2, Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Seed: 3, Duration: 100e6,
		Cgroups: []sim.CgroupSpec{{Path: "/a", Weight: 300}, {Path: "/a/x", Weight: 50}, {Path: "/b", Weight: 1}}}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetGroupCgroup(1, "/a/x"); err != nil {
		t.Fatal(err)
	}
	var tasks []*sim.Task
	for i := 0; i < 6; i++ {
		run := false
		task, err := m.Spawn(sim.TaskSpec{Comm: "c", Group: i % 2, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(1_000_000)
			}
			return sim.Sleep(500_000)
		})})
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, task)
	}
	k := m.Kernel()
	if got := k.TaskCgroup(tasks[1]).Path; got != "/a/x" {
		t.Errorf("task of group 1 in %s, want /a/x", got)
	}
	m.At(30e6, func() {
		if err := m.MoveTask(tasks[0], "/a"); err != nil {
			t.Errorf("move to /a: %v", err)
		}
		if err := m.MoveTask(tasks[2], "/b"); err == nil {
			t.Error("move to /b (weight 1) was not refused by ops.cgroup_prep_move")
		}
		if err := m.SetCgroupWeight("/a/x", 80); err != nil {
			t.Error(err)
		}
	})
	res, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Ejection != nil {
		t.Fatalf("ejected: %+v", res.Ejection)
	}
	g := func(name string) uint64 { return globalU64(t, pol, name) }
	for name, want := range map[string]uint64{"nr_cgroup_inits": 4, "max_level": 2, "nr_bad_ancestor": 0,
		"nr_init_task_cgrp": 6, "nr_prep_moves": 2, "nr_moves": 1, "nr_weight_changes": 1, "last_weight": 80} {
		if got := g(name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if g("nr_from_id_ok") == 0 {
		t.Error("bpf_cgroup_from_id never returned the task's cgroup")
	}
	if got := k.TaskCgroup(tasks[0]).Path; got != "/a" {
		t.Errorf("moved task in %s, want /a", got)
	}
	if got := k.TaskCgroup(tasks[2]).Path; got != "/" {
		t.Errorf("task whose move was refused in %s, want /", got)
	}
	// The hierarchy as the kernel numbers it: root id 1, then in order.
	for i, want := range []string{"/", "/a", "/a/x", "/b"} {
		if cg := m.Cgroups()[i]; cg.Path != want || cg.ID != uint64(i+1) {
			t.Errorf("cgroup %d: %s id %d, want %s id %d", i, cg.Path, cg.ID, want, i+1)
		}
	}
}
