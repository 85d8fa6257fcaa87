package main

import (
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// kindName spells an exit kind for the table.
func kindName(k int64) string { return sim.ExitKindName(int(k)) }

// stillAttached is the runners' SCX_EQ(uei.kind, SCX_EXIT_NONE) before
// bpf_link__destroy: nothing ended the scheduler before user space
// unregistered it, so ops.exit was told SCX_EXIT_UNREG.
var stillAttached = check{Var: "exit.kind", Op: "==", Val: kindUnreg,
	From: "SCX_EQ(uei.kind, SCX_EXIT_NONE) before bpf_link__destroy"}

// selectFromUser is the runners' BPF_PROG_RUN of select_cpu_from_user
// with the runner's pid (args[0] = getpid()); they check only that the
// run succeeded, not the CPU it returns.
func selectFromUser(ops string) *policies.Recipe {
	return &policies.Recipe{Name: ops, Syscall: []policies.SyscallStep{{Prog: "select_cpu_from_user",
		Args: []string{"u64 1"}, AfterInit: true, AllowFail: true}}}
}

// suiteNewer lists tests of kernels after 6.12 (their sources come from
// a newer tree's tools/testing/selftests/sched_ext, built against its
// tools/sched_ext/include), run with the latest simulated kernel.
func suiteNewer() []selftest {
	// SCX_PICK_IDLE_IN_NODE (enum scx_pick_idle_cpu_flags, 6.15)
	const pickIdleInNode = 1 << 1
	tests := []selftest{
		{Name: "allowed_cpus", Since: "6.16", Cases: []tcase{{Obj: "allowed_cpus", Recipe: selectFromUser("allowed_cpus"),
			Work: sleep1, Checks: []check{stillAttached}}}},
		{Name: "cyclic_kick_wait", Since: "7.0", Cases: []tcase{{Obj: "cyclic_kick_wait",
			Recipe: &policies.Recipe{Name: "cyclic_kick_wait", Rodata: map[string]any{"test_cpu_a": 0, "test_cpu_b": 1, "test_cpu_c": 2}},
			Work:   work{PinnedWorkers: []int{0, 1, 2}, Duration: 5 * sec},
			Checks: []check{stillAttached, {Var: "nr_wait_kicks", Op: ">", Val: 0, From: "(the A -> B -> C -> A SCX_KICK_WAIT kicks happened)"}}}}},
		{Name: "dsp_local_on", Since: "6.13", Cases: []tcase{{Obj: "dsp_local_on",
			Recipe: &policies.Recipe{Name: "dsp_local_on", Rodata: map[string]any{"nr_cpus": "$nr_cpus"}},
			Work:   sleep1, Checks: []check{{Var: "uei.kind", Op: "==", Val: kindUnreg,
				From: "SCX_EQ(uei.kind, SCX_EXIT_UNREG) after bpf_link__destroy; LOCAL_ON of any CPU, whatever the affinity"}}}}},
		{Name: "enq_select_cpu", Since: "6.16", Cases: []tcase{{Obj: "enq_select_cpu", Recipe: selectFromUser("enq_select_cpu"),
			Work: sleep1, Checks: []check{stillAttached}}}},
		{Name: "numa", Since: "6.15", Cases: []tcase{{Obj: "numa",
			Recipe: &policies.Recipe{Name: "numa", OpsFlags: int64(sim.OpsBuiltinIdlePerNode),
				Rodata: map[string]any{"__COMPAT_SCX_PICK_IDLE_IN_NODE": pickIdleInNode}},
			Topo: &sim.TopologySpec{Nodes: 2, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 2},
			Work: sleep1, Checks: []check{stillAttached}}}},
		{Name: "peek_dsq", Since: "6.19", Cases: []tcase{{Obj: "peek_dsq",
			// 4 threads: usleep(1000); sched_yield(), for 3 s
			Work: work{Workers: 4, WorkerSleep: 1 * ms, Duration: 3 * sec},
			Checks: []check{stillAttached,
				{Var: "enqueue_count", Op: ">", Val: 0, From: "waits for enqueue_count > 0"},
				{Var: "insert_test_cpu", Op: "!=", Val: -1, From: "insert_test_cpu != -1"},
				{Var: "dsq_peek_result1", Op: "==", Val: 0, From: "dsq_peek_result1 == 0 (peek of an empty DSQ is NULL)"},
				{Var: "dsq_peek_result2", Op: "==", Var2: "dsq_peek_result2_expected", From: "peek returns the task just inserted"},
				{Var: "debug_ksym_exists", Op: "==", Val: 1, From: "scx_bpf_dsq_peek exists (native mode)"},
				{Var: "peek_results>0", Op: ">", Val: 0, From: "native mode: some pid observed in the DSQ pool (pid_count > 0)"},
			}}}},
		{Name: "rt_stall", Since: "6.19",
			Needs: "the sched_ext deadline server (6.19: RT tasks may not starve sched_ext tasks); schedsim simulates 6.12-6.18, where a SCHED_FIFO hog does starve them (no RT throttling either)",
			Cases: []tcase{{Obj: "rt_stall",
				// the two EXT rounds of four (the FAIR ones need CFS)
				Work: work{RTHog: true, Duration: 5 * sec},
				Checks: []check{stillAttached, {Var: "ext_share_pm", Op: ">=", Val: 40,
					From: "the EXT task gets >= 4% of CPU 0 against a SCHED_FIFO hog (the ext deadline server)"}}}}},
	}
	for i := range tests {
		tests[i].Suite, tests[i].Kernel = "newer", sim.KernelLatest
	}
	return tests
}
