package policies

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// A SEC("syscall") program run after attach that calls scx_bpf_exit() ends
// the scheduler as the kernel does (scx_bpf_exit_bstr() ->
// scx_ops_exit_kind(SCX_EXIT_UNREG_BPF), ext.c; the prog_run selftest):
// the attach succeeds, ops.exit gets SCX_EXIT_UNREG_BPF with the code and
// message, and the run goes on under the fallback. Before attach (before
// ops.init) the same program is still an error of the recipe.
func TestSyscallAfterAttachEndsScheduler(t *testing.T) {
	load := func(after bool) (*BPFPolicy, error) {
		obj, err := bpfvm.LoadObject("testdata/progrun.bpf.o")
		if err != nil {
			t.Fatal(err)
		}
		return LoadObject(obj, Options{NumCPUs: 2, Recipe: &Recipe{Name: "progrun",
			Syscall: []SyscallStep{{Prog: "stop_sched", AfterInit: after}}}})
	}
	pol, err := load(true)
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Seed: 1, Duration: 50e6}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	if _, err := m.Spawn(sim.TaskSpec{Comm: "w", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action { return sim.Run(1e6) })}); err != nil {
		t.Fatal(err)
	}
	res, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Ejection == nil || res.Ejection.Kind != sim.ExitUnregBPF || res.Exit.Code != 42 ||
		res.Exit.Msg != "stopped from BPF_PROG_RUN" {
		t.Fatalf("ejection %+v exit %+v, want SCX_EXIT_UNREG_BPF, code 42", res.Ejection, res.Exit)
	}
	if got := globalU64(t, pol, "stop_runs"); got != 1 {
		t.Errorf("stop_sched ran %d times", got)
	}
	_, addr, err := pol.Instance().Var("uei")
	if err != nil {
		t.Fatal(err)
	}
	// struct user_exit_info { int kind; s64 exit_code; ... }
	if kind, code := pol.VM().Mem.Load32(addr), pol.VM().Mem.Load64(addr+8); kind != sim.ExitUnregBPF || code != 42 {
		t.Errorf("uei.kind %d, exit_code %d: ops.exit did not record the exit", kind, code)
	}
	if res.Switches == 0 {
		t.Error("nothing ran after the exit")
	}

	pol2, err := load(false)
	if err != nil {
		t.Fatal(err)
	}
	defer pol2.Close()
	if _, err := sim.NewMachine(p, pol2); err == nil || !strings.Contains(err.Error(), "ended the scheduler") {
		t.Errorf("before attach: %v, want an error", err)
	}
}

// ops.init returning an error ends the scheduler at attach with
// SCX_EXIT_ERROR and the kernel's message (scx_ops_enable_workfn(), ext.c
// 6.12), and ops.exit records it; the attach itself succeeds.
func TestOpsInitFailureEjects(t *testing.T) {
	obj, err := bpfvm.LoadObject("testdata/progrun.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := LoadObject(obj, Options{NumCPUs: 2, Params: map[string]any{"init_ret": int32(-12)}})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Seed: 1, Duration: 10e6}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	if e := m.Ejected(); e == nil || e.Info.Kind != sim.ExitError || e.Info.Msg != "ops.init() failed (-12)" {
		t.Fatalf("ejection %+v", e)
	}
	_, addr, err := pol.Instance().Var("uei")
	if err != nil {
		t.Fatal(err)
	}
	if kind := pol.VM().Mem.Load32(addr); kind != sim.ExitError {
		t.Errorf("uei.kind %d, want SCX_EXIT_ERROR", kind)
	}
}
