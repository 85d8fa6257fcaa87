package sim

import "testing"

// exitPolicy records the exit information ops.exit receives.
type exitPolicy struct {
	*testPolicy
	exits []ExitInfo
}

func (p *exitPolicy) Exit(info *ExitInfo) { p.exits = append(p.exits, *info) }

// TestExitAtEndOfRun: a policy still attached when the run ends gets
// ops.exit once, with SCX_EXIT_UNREG and the kernel's reason, and the
// result reports it; an ejected policy gets ops.exit once, at ejection.
func TestExitAtEndOfRun(t *testing.T) {
	pol := &exitPolicy{testPolicy: newTestPolicy(CbSelectCPU | CbExit)}
	m := mustMachine(t, testParams(2), pol)
	spawn(t, m, "a", sleeper(1e5, 1e5))
	r, _ := m.Run()
	if len(pol.exits) != 1 || pol.exits[0].Kind != ExitUnreg || pol.exits[0].Reason != "unregistered from user space" {
		t.Fatalf("exits %+v", pol.exits)
	}
	if r.Exit == nil || r.Exit.KindName != "SCX_EXIT_UNREG" || r.Exit.Kind != ExitUnreg || r.Ejection != nil {
		t.Errorf("result exit %+v, ejection %+v", r.Exit, r.Ejection)
	}

	ej := &exitPolicy{testPolicy: newTestPolicy(CbSelectCPU | CbEnqueue | CbExit)}
	ej.enqueue = func(p *Task, fl uint64) { ej.k.DSQInsertVtime(p, DSQGlobal, SliceDfl, 5, fl) }
	m = mustMachine(t, testParams(2), ej)
	spawn(t, m, "a", sleeper(1e5, 1e5))
	r, _ = m.Run()
	// dispatch_enqueue() reports vtime ordering on a built-in DSQ with
	// scx_ops_error() (ext.c 6.12): SCX_EXIT_ERROR
	if len(ej.exits) != 1 || ej.exits[0].Kind != ExitError {
		t.Fatalf("ejected policy's exits %+v", ej.exits)
	}
	if r.Exit == nil || r.Exit.KindName != "SCX_EXIT_ERROR" || r.Exit.Msg == "" {
		t.Errorf("result exit %+v", r.Exit)
	}
}
