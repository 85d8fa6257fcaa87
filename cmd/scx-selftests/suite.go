package main

import (
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// The kernel's sched_ext selftests (tools/testing/selftests/sched_ext), as
// data: for each test, what its runner (NAME.c) does with the BPF
// scheduler (NAME.bpf.c) and what it asserts. Nothing here is upstream
// code: these are the facts a conformant sched_ext must satisfy, each
// with the runner's assertion it comes from. scripts/scx-selftests.sh
// compiles the BPF halves from a kernel tree; this table plays the user
// space halves.

// expect is the outcome of loading and attaching.
type expect int

const (
	expectRun      expect = iota // loads, attaches, runs the workload
	expectLoadFail               // open_and_load() fails (the verifier rejects it)
)

// work is the runner's workload, translated: children forked after
// attach that sleep and exit (fork(); sleep(1); exit(0)), on top of a
// background load standing for the rest of the system ("plenty of
// scheduling events happening", dsp_local_on.c), for a duration.
type work struct {
	// PreExisting children were forked before the attach (asleep in
	// sleep(1) when scx_ops_enable() finds them: init_task(fork=false)).
	PreExisting int
	Children    int // tasks forked right after attach
	// ExtChildren of the Children are SCHED_EXT tasks, the others
	// SCHED_NORMAL (the same without SCX_OPS_SWITCH_PARTIAL).
	ExtChildren int
	ChildComm   string // their comm ("" = "runner", the runner's binary)
	ChildSleep  uint64 // each sleeps this long, then exits (ns)
	Duration    uint64 // how long the scheduler stays attached (ns)
	Reattach    int    // reload_loop: attach/detach this many times
	// Workers are the runner's own threads looping on
	// usleep(WorkerSleep) and sched_yield() (peek_dsq).
	Workers     int
	WorkerSleep uint64
	// PinnedWorkers: 4 threads pinned to each of these CPUs, looping on
	// sched_yield() (cyclic_kick_wait); schedsim's workloads do not
	// yield, so each loop is 10 us of running and 1 us of sleep, which
	// enqueues the task again as a yield would.
	PinnedWorkers []int
	// RTHog: rt_stall's pair of busy loops pinned to CPU 0, one a
	// sched_ext task, one SCHED_FIFO priority 50 (the fact
	// "ext_share_pm" is the ext task's share of their CPU time, per
	// mille).
	RTHog bool
}

// check is one assertion of the runner on the scheduler's globals (after
// bpf_link__destroy, i.e. after ops.exit) or on the exit the core gave
// ops.exit ("exit.kind", "exit.code": what UEI would record).
type check struct {
	Var  string // "uei.kind", "saw_local", "exit.kind", ...
	Op   string // "==", "!=", ">=", ">", "streq"
	Val  int64
	Str  string // for streq
	Var2 string // compare with another variable instead of Val
	From string // the runner's assertion, for the report
}

// tcase is one load/attach/run of a test's scheduler.
type tcase struct {
	Label  string // e.g. "exit_point=EXIT_ENQUEUE"
	Obj    string // object NAME (NAME.bpf.o)
	Ops    string // struct_ops variable when the object has several
	Recipe *policies.Recipe
	Expect expect
	Topo   *sim.TopologySpec // nil: 8 CPUs, 4 cores x 2 threads, one LLC
	Work   work
	Checks []check
}

// selftest is one test of the suite.
type selftest struct {
	Name   string
	Since  string // first kernel whose suite has it
	Suite  string // "6.12" or "newer" (the tree the sources come from)
	Kernel sim.KernelVersion
	Skip   string // why it does not apply to a simulator
	Needs  string // what a known failure needs (filled when it fails)
	Cases  []tcase
}

const (
	sec          = uint64(1e9)
	ms           = uint64(1e6)
	nrCPUs       = 8
	kindUnreg    = sim.ExitUnreg
	kindUnregBPF = sim.ExitUnregBPF
	kindError    = sim.ExitError
)

// attachOnly is the runner of minimal, maximal, create_dsq: attach, then
// bpf_link__destroy at once.
var attachOnly = work{Duration: 20 * ms}

// sleep1 is "attach; sleep(1); check".
var sleep1 = work{Duration: 1 * sec}

// forkSleep is the select_cpu_* runners: 1028 children, each sleep(1).
func forkSleep(comm string) work {
	return work{Children: 1028, ChildComm: comm, ChildSleep: 1 * sec, Duration: 1200 * ms}
}

func errorExit(from string) check {
	return check{Var: "uei.kind", Op: "==", Val: kindError, From: from}
}

// suite612 is the suite of Linux 6.12 (tools/testing/selftests/sched_ext
// of the 6.12.y tree, Makefile's auto-test-targets).
func suite612() []selftest {
	var exits []tcase
	for tc, name := range []string{"EXIT_SELECT_CPU", "EXIT_ENQUEUE", "EXIT_DISPATCH", "EXIT_ENABLE", "EXIT_INIT_TASK", "EXIT_INIT"} {
		exits = append(exits, tcase{Label: "exit_point=" + name, Obj: "exit",
			Recipe: &policies.Recipe{Name: "exit", Rodata: map[string]any{"exit_point": tc}},
			Work:   work{Duration: 1 * sec},
			Checks: []check{
				{Var: "uei.kind", Op: "==", Val: kindUnregBPF, From: "SCX_EQ(uei.kind, SCX_EXIT_UNREG_BPF)"},
				{Var: "uei.exit_code", Op: "==", Val: int64(tc), From: "SCX_EQ(uei.exit_code, tc)"},
				{Var: "uei.msg", Op: "streq", Str: itoa(tc), From: `!strcmp(uei.msg, "%d")`},
			}})
	}
	iec := func(global bool) tcase {
		c := tcase{Label: "global", Obj: "init_enable_count",
			// 1024 SCHED_OTHER children forked before attach, asleep
			// in sleep(1) (init_task(fork=false); without
			// SCX_OPS_SWITCH_PARTIAL they become sched_ext tasks,
			// with it they stay in the fair class), then 5 SCHED_EXT
			// and 5 SCHED_OTHER children that exit at once (the
			// SCHED_EXT ones are forked SCHED_EXT rather than switched
			// by sched_setscheduler()). The runner's two attaches are
			// one here.
			Work: work{PreExisting: 1024, Children: 10, ExtChildren: 5, ChildSleep: 1 * sec, Duration: 1200 * ms},
			Checks: []check{
				{Var: "init_task_cnt", Op: ">=", Val: 1024 + 10, From: "SCX_GE(init_task_cnt, num_pre_forks) and (2 * num_children)"},
				{Var: "exit_task_cnt", Op: ">=", Val: 1024 + 10, From: "SCX_GE(exit_task_cnt, num_pre_forks) and (2 * num_children)"},
				{Var: "enable_cnt", Op: ">=", Val: 10, From: "SCX_GE(enable_cnt, 2 * num_children)"},
				{Var: "disable_cnt", Op: ">=", Val: 10, From: "SCX_GE(disable_cnt, 2 * num_children)"},
				{Var: "init_transition_cnt", Op: ">", Var2: "init_fork_cnt", From: "SCX_GT(init_transition_cnt, init_fork_cnt)"},
				{Var: "init_fork_cnt", Op: ">=", Val: 10, From: "SCX_GE(init_fork_cnt, 2 * num_children)"},
			}}
		if !global {
			c.Label = "SCX_OPS_SWITCH_PARTIAL"
			c.Recipe = &policies.Recipe{Name: "init_enable_count", OpsFlagsOr: int64(sim.OpsSwitchPartial)}
			c.Checks[2] = check{Var: "enable_cnt", Op: "==", Val: 5, From: "SCX_EQ(enable_cnt, num_children)"}
			c.Checks[3] = check{Var: "disable_cnt", Op: "==", Val: 5, From: "SCX_EQ(disable_cnt, num_children)"}
		}
		return c
	}
	uei := func(kind int64, from string) []check {
		return []check{{Var: "uei.kind", Op: "==", Val: kind, From: from}}
	}
	tests := []selftest{
		{Name: "create_dsq", Cases: []tcase{{Obj: "create_dsq", Work: attachOnly,
			Checks: []check{{Var: "exit.kind", Op: "==", Val: kindUnreg, From: "attach succeeds (and ops.init's 1024 create_dsq/destroy_dsq and init_task's per-pid DSQs raise no scx_bpf_error)"}}}}},
		{Name: "ddsp_bogus_dsq_fail", Cases: []tcase{{Obj: "ddsp_bogus_dsq_fail", Work: sleep1,
			Checks: []check{errorExit("SCX_EQ(uei.kind, SCX_EXIT_ERROR)")}}}},
		{Name: "ddsp_vtimelocal_fail", Cases: []tcase{{Obj: "ddsp_vtimelocal_fail", Work: sleep1,
			Checks: []check{errorExit("SCX_EQ(uei.kind, SCX_EXIT_ERROR)")}}}},
		{Name: "dsp_local_on", Cases: []tcase{{Obj: "dsp_local_on",
			Recipe: &policies.Recipe{Name: "dsp_local_on", Rodata: map[string]any{"nr_cpus": "$nr_cpus"}},
			Work:   sleep1, Checks: uei(kindUnreg, "SCX_EQ(uei.kind, SCX_EXIT_UNREG) after bpf_link__destroy")}}},
		{Name: "enq_last_no_enq_fails", Cases: []tcase{{Obj: "enq_last_no_enq_fails", Work: attachOnly,
			Checks: []check{{Var: "exit_kind", Op: "!=", Val: 0, From: "attach succeeds; skel->bss->exit_kind != 0 (ejected)"},
				{Var: "exit.kind", Op: "==", Val: kindError, From: "validate_ops(): SCX_EXIT_ERROR"}}}}},
		{Name: "enq_select_cpu_fails", Cases: []tcase{{Obj: "enq_select_cpu_fails", Work: sleep1,
			Checks: []check{{Var: "exit.kind", Op: "==", Val: kindError, From: "description: scx_bpf_select_cpu_dfl() from ops.enqueue() fails (the runner checks only the attach)"}}}}},
		{Name: "exit", Cases: exits},
		{Name: "hotplug", Skip: "CPU hotplug is not simulated (cpu_online/cpu_offline are never called; the runner writes /sys/devices/system/cpu/cpu1/online)"},
		{Name: "init_enable_count",
			Cases: []tcase{iec(true), iec(false)}},
		{Name: "maximal", Cases: []tcase{{Obj: "maximal", Work: attachOnly,
			Checks: []check{{Var: "exit.kind", Op: "==", Val: kindUnreg, From: "attach succeeds with every callback defined"}}}}},
		{Name: "maybe_null", Cases: []tcase{
			{Label: "maybe_null", Obj: "maybe_null", Work: attachOnly},
			{Label: "maybe_null_fail_dsp", Obj: "maybe_null_fail_dsp", Expect: expectLoadFail},
			{Label: "maybe_null_fail_yld", Obj: "maybe_null_fail_yld", Expect: expectLoadFail},
		}},
		{Name: "minimal", Cases: []tcase{{Obj: "minimal", Work: attachOnly,
			Checks: []check{{Var: "exit.kind", Op: "==", Val: kindUnreg, From: "attach succeeds"}}}}},
		{Name: "prog_run", Cases: []tcase{{Obj: "prog_run",
			Recipe: &policies.Recipe{Name: "prog_run", Syscall: []policies.SyscallStep{{Prog: "prog_run_syscall", AfterInit: true}}},
			Work:   attachOnly,
			Checks: []check{{Var: "uei.kind", Op: "==", Val: kindUnregBPF, From: "uei.kind == SCX_EXIT_UNREG_BPF"},
				{Var: "uei.exit_code", Op: "==", Val: 0xdeadbeef, From: "uei.exit_code == 0xdeadbeef"}}}}},
		{Name: "reload_loop", Cases: []tcase{{Obj: "maximal", Work: work{Reattach: 2 * 1024, Duration: 1 * ms},
			Checks: []check{{Var: "exit.kind", Op: "==", Val: kindUnreg, From: "2 threads x 1024 attach/destroy of maximal"}}}}},
		{Name: "select_cpu_dfl", Cases: []tcase{{Obj: "select_cpu_dfl", Work: forkSleep("select_cpu_dfl"),
			Checks: []check{{Var: "saw_local", Op: "==", Val: 0, From: "SCX_ASSERT(!saw_local)"}}}}},
		{Name: "select_cpu_dfl_nodispatch", Cases: []tcase{{Obj: "select_cpu_dfl_nodispatch", Work: forkSleep(""),
			Checks: []check{{Var: "saw_local", Op: "==", Val: 1, From: "SCX_ASSERT(saw_local)"}}}}},
		{Name: "select_cpu_dispatch", Cases: []tcase{{Obj: "select_cpu_dispatch", Work: forkSleep(""),
			Checks: []check{{Var: "exit.kind", Op: "==", Val: kindUnreg, From: "the 1028 children run and exit (waitpid, status 0)"},
				{Var: "exited", Op: "==", Val: 1028, From: "waitpid() of every child"}}}}},
		{Name: "select_cpu_dispatch_bad_dsq", Cases: []tcase{{Obj: "select_cpu_dispatch_bad_dsq", Work: sleep1,
			Checks: []check{errorExit("SCX_EQ(uei.kind, SCX_EXIT_ERROR)")}}}},
		{Name: "select_cpu_dispatch_dbl_dsp", Cases: []tcase{{Obj: "select_cpu_dispatch_dbl_dsp", Work: sleep1,
			Checks: []check{errorExit("SCX_EQ(uei.kind, SCX_EXIT_ERROR)")}}}},
		{Name: "select_cpu_vtime", Cases: []tcase{{Obj: "select_cpu_vtime", Work: sleep1,
			Checks: []check{{Var: "consumed", Op: "==", Val: 1, From: "SCX_ASSERT(consumed)"}}}}},
		{Name: "test_example", Skip: "tests the runner itself (no BPF scheduler)"},
	}
	for i := range tests {
		tests[i].Since, tests[i].Suite, tests[i].Kernel = "6.12", "6.12", 12
	}
	return tests
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
