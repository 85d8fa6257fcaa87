package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// The runner's machinery on one of our own policies
// (policies/testdata/progrun.bpf.c: a syscall program that ends the
// scheduler with scx_bpf_exit(42, ...), ops.exit recording UEI): checks
// that hold pass, checks that do not fail with what was read, and a load
// that succeeds fails an expected verifier rejection.
func TestRunCaseChecks(t *testing.T) {
	const dir = "../../policies/testdata"
	recipe := func() *policies.Recipe {
		return &policies.Recipe{Name: "progrun", Syscall: []policies.SyscallStep{{Prog: "stop_sched", AfterInit: true}}}
	}
	ok := runCase(dir, sim.KernelLatest, tcase{Obj: "progrun", Recipe: recipe(), Work: attachOnly, Checks: []check{
		{Var: "uei.kind", Op: "==", Val: kindUnregBPF},
		{Var: "uei.exit_code", Op: "==", Val: 42},
		{Var: "uei.msg", Op: "streq", Str: "stopped from BPF_PROG_RUN"},
		{Var: "stop_runs", Op: ">=", Val: 1},
		{Var: "exit.code", Op: "==", Val: 42},
	}})
	if !ok.Pass || !strings.Contains(ok.Got, "SCX_EXIT_UNREG_BPF") {
		t.Fatalf("passing checks: %+v", ok)
	}
	bad := runCase(dir, sim.KernelLatest, tcase{Obj: "progrun", Recipe: recipe(), Work: attachOnly, Checks: []check{
		{Var: "uei.kind", Op: "==", Val: kindError},
		{Var: "stop_runs", Op: ">", Var2: "uei.exit_code"},
		{Var: "no_such_var", Op: "==", Val: 0},
	}})
	if bad.Pass || !strings.Contains(bad.Got, "uei.kind = 65, want == 1024") ||
		!strings.Contains(bad.Got, "stop_runs = 1, want > uei.exit_code (42)") || !strings.Contains(bad.Got, "no_such_var: no such global") {
		t.Fatalf("failing checks: %+v", bad)
	}
	// Without the syscall step the scheduler stays attached until the end.
	still := runCase(dir, sim.KernelLatest, tcase{Obj: "progrun", Recipe: &policies.Recipe{Name: "progrun"}, Work: sleep1,
		Checks: []check{{Var: "exit.kind", Op: "==", Val: kindUnreg}, {Var: "stop_runs", Op: "==", Val: 0}}})
	if !still.Pass {
		t.Fatalf("attached run: %+v", still)
	}
	if o := runCase(dir, sim.KernelLatest, tcase{Obj: "progrun", Expect: expectLoadFail}); o.Pass || o.Got != "loaded" {
		t.Fatalf("expected rejection of a valid object: %+v", o)
	}
	if o := runCase(dir, sim.KernelLatest, tcase{Obj: "missing"}); o.Pass || !strings.Contains(o.Got, "no object") {
		t.Fatalf("missing object: %+v", o)
	}
}

// Children fork, sleep and exit; the count reaches the runner's waitpid.
func TestRunCaseChildren(t *testing.T) {
	o := runCase("../../policies/testdata", sim.KernelLatest, tcase{Obj: "progrun", Recipe: &policies.Recipe{Name: "progrun"},
		Work:   work{Children: 50, ChildSleep: 100 * ms, Duration: 300 * ms},
		Checks: []check{{Var: "exited", Op: "==", Val: 50}}})
	if !o.Pass {
		t.Fatalf("%+v", o)
	}
}

func TestTableAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-suite", "6.12", "-run", "^hotplug$", "-md", t.TempDir()}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "| 6.12 | hotplug |") || !strings.Contains(out.String(), "0 pass, 0 FAIL, 1 skip") {
		t.Fatalf("table:\n%s", out.String())
	}
	if code := run([]string{"-suite", "7.0", "x"}, &out, &errb); code != 2 {
		t.Errorf("bad -suite: exit %d", code)
	}
	// a missing object is a failure, and the exit status says so
	out.Reset()
	if code := run([]string{"-suite", "6.12", "-run", "^minimal$", t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(out.String(), "FAIL") {
		t.Errorf("missing objects: exit %d\n%s", code, out.String())
	}
}

// rt_stall's pair: a SCHED_FIFO hog pinned with a sched_ext hog on CPU 0
// leaves the latter nothing in 6.12-6.18 (no ext deadline server), and the
// fact measuring it says so; pinned workers run where they are pinned.
func TestRunCaseFacts(t *testing.T) {
	o := runCase("../../policies/testdata", sim.KernelLatest, tcase{Obj: "progrun", Recipe: &policies.Recipe{Name: "progrun"},
		Work:   work{RTHog: true, PinnedWorkers: []int{1}, Duration: 200 * ms},
		Checks: []check{{Var: "ext_share_pm", Op: "==", Val: 0}, {Var: "exit.kind", Op: "==", Val: kindUnreg}}})
	if !o.Pass {
		t.Fatalf("%+v", o)
	}
	o = runCase("../../policies/testdata", sim.KernelLatest, tcase{Obj: "progrun", Recipe: &policies.Recipe{Name: "progrun"},
		Work:   work{RTHog: true, Duration: 200 * ms},
		Checks: []check{{Var: "ext_share_pm", Op: ">=", Val: 40}}})
	if o.Pass || !strings.Contains(o.Got, "ext_share_pm = 0, want >= 40") {
		t.Fatalf("%+v", o)
	}
}
