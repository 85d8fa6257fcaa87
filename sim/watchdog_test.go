package sim

import (
	"errors"
	"strings"
	"testing"
)

// ext.c (Linux 6.12), scx_ops_enable(): the watchdog work is queued
// scx_watchdog_timeout / 2 jiffies after enable and requeues itself as far
// after each run; check_rq_for_timeouts() fails a task when
// time_after(jiffies, runnable_at + scx_watchdog_timeout), strictly. A
// task runnable from jiffy 0 is therefore not caught by the check at
// exactly one timeout (jiffies == runnable_at + timeout) but by the next,
// at 1.5 timeouts: 45 s with the default 30 s, 600 ms with 400 ms. A task
// made runnable at 700 ms with a 1 s timeout passes the checks at 0.5,
// 1.0, 1.5 s and fails at 2.0 s (2000 > 700 + 1000).
func TestWatchdogFiresWhenTheKernelWould(t *testing.T) {
	for _, c := range []struct {
		timeoutMs uint32
		start     uint64
		want      uint64
		msg       string
	}{
		{0, 0, 45e9, "failed to run for 45.000s"},
		{400, 0, 600e6, "failed to run for 0.600s"},
		{1000, 700e6, 2e9, "failed to run for 1.300s"},
		{1000, 999_999, 1.5e9, "failed to run for 1.500s"}, // jiffy 0 at HZ=1000
	} {
		pol := newTestPolicy(CbEnqueue | CbDispatch) // never dispatches
		pol.ops.TimeoutMs = c.timeoutMs
		p := testParams(1)
		p.Duration = 50e9
		m := mustMachine(t, p, pol)
		m.At(c.start, func() { spawn(t, m, "starved", loop(1e6)) })
		r, _ := m.Run()
		if r.Ejection == nil || r.Ejection.Kind != ExitErrorStall || r.Ejection.AtNs != c.want ||
			!strings.Contains(r.Ejection.Msg, c.msg) {
			t.Errorf("timeout_ms %d, runnable at %d: ejection %+v; want at %d, %q", c.timeoutMs, c.start, r.Ejection, c.want, c.msg)
		}
	}
}

// bpf_scx_init_member() (ext.c 6.12): msecs_to_jiffies(timeout_ms) >
// SCX_WATCHDOG_MAX_TIMEOUT is -E2BIG: the policy is not attached.
func TestTimeoutAboveMaxRefused(t *testing.T) {
	pol := newTestPolicy(CbEnqueue)
	pol.ops.TimeoutMs = 30001
	if _, err := NewMachine(testParams(1), pol); !errors.Is(err, ErrAttach) || !strings.Contains(err.Error(), "E2BIG") {
		t.Errorf("timeout_ms 30001: %v", err)
	}
	pol.ops.TimeoutMs = 30000
	if _, err := NewMachine(testParams(1), pol); err != nil {
		t.Errorf("timeout_ms 30000: %v", err)
	}
}

// validate_ops() (ext.c 6.12): SCX_OPS_ENQ_LAST without ops.enqueue is an
// error after ops.init, but the attach succeeds (scx_ops_enable_workfn's
// err_disable returns 0): ops.exit is told why (SCX_EXIT_ERROR) before
// NewMachine returns, and the machine runs under the fallback, as the
// kernel's enq_last_no_enq_fails selftest expects.
func TestValidateOpsEnqLast(t *testing.T) {
	pol := newTestPolicy(CbDispatch | CbExit)
	pol.ops.Flags = OpsEnqLast
	m, err := NewMachine(testParams(1), pol)
	if err != nil {
		t.Fatalf("ENQ_LAST without enqueue: attach failed: %v", err)
	}
	if pol.exitInfo == nil || pol.exitInfo.Kind != ExitError ||
		pol.exitInfo.Msg != "SCX_OPS_ENQ_LAST requires ops.enqueue() to be implemented" {
		t.Fatalf("ops.exit got %+v, want SCX_EXIT_ERROR with validate_ops()'s message", pol.exitInfo)
	}
	if m.Ejected() == nil || m.Ejected().At != 0 {
		t.Fatalf("not ejected at attach: %+v", m.Ejected())
	}
	if _, err := m.Spawn(TaskSpec{Comm: "t", Behavior: BehaviorFunc(func(*Machine, *Task) Action { return Run(1e6) })}); err != nil {
		t.Fatal(err)
	}
	res, err := m.Run()
	if err != nil || res.Switches == 0 {
		t.Fatalf("the fallback ran nothing: %v %+v", err, res)
	}
	pol = newTestPolicy(CbEnqueue)
	pol.ops.Flags = OpsEnqLast
	if m, err := NewMachine(testParams(1), pol); err != nil || m.Ejected() != nil {
		t.Errorf("ENQ_LAST with enqueue: %v", err)
	}
}

// Errors the core detects are SCX_EXIT_ERROR (scx_ops_error()); only
// scx_bpf_error() is SCX_EXIT_ERROR_BPF.
func TestCoreErrorsAreExitError(t *testing.T) {
	pol := newTestPolicy(CbEnqueue)
	pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsert(p, 12345, SliceDfl, fl) } // no such DSQ
	m := mustMachine(t, testParams(1), pol)
	spawn(t, m, "x", loop(1e6))
	r, _ := m.Run()
	if r.Ejection == nil || r.Ejection.Kind != ExitError || !strings.Contains(r.Ejection.Msg, "non-existent DSQ") {
		t.Errorf("core error: %+v", r.Ejection)
	}
	pol = newTestPolicy(CbEnqueue)
	pol.enqueue = func(p *Task, fl uint64) { pol.k.Error("mine") }
	m = mustMachine(t, testParams(1), pol)
	spawn(t, m, "x", loop(1e6))
	r, _ = m.Run()
	if r.Ejection == nil || r.Ejection.Kind != ExitErrorBPF || r.Ejection.Reason != "scx_bpf_error" {
		t.Errorf("scx_bpf_error: %+v", r.Ejection)
	}
}

// ops.init() returning an error (ext.c 6.12 scx_ops_enable_workfn():
// scx_ops_error("ops.init() failed (%d)"), err_disable) ejects the policy
// at attach with SCX_EXIT_ERROR, and the attach succeeds; an errno outside
// -MAX_ERRNO..-1 is reported as invalid (ops_sanitize_err()). validate_ops
// is not reached. Other Init errors (the loader's) still fail NewMachine.
func TestOpsInitErrorEjects(t *testing.T) {
	for _, c := range []struct {
		ret int32
		msg string
	}{{-22, "ops.init() failed (-22)"}, {3, "ops.init() returned an invalid errno 3"}} {
		pol := newTestPolicy(CbDispatch | CbExit)
		pol.ops.Flags = OpsEnqLast // would fail validate_ops(), which is not reached
		pol.init = func(*Kernel) error { return &OpsInitError{Ret: c.ret} }
		m, err := NewMachine(testParams(1), pol)
		if err != nil {
			t.Fatalf("ret %d: attach failed: %v", c.ret, err)
		}
		if pol.exitInfo == nil || pol.exitInfo.Kind != ExitError || pol.exitInfo.Msg != c.msg {
			t.Errorf("ret %d: ops.exit got %+v, want SCX_EXIT_ERROR %q", c.ret, pol.exitInfo, c.msg)
		}
		if m.Ejected() == nil || m.Ejected().At != 0 {
			t.Errorf("ret %d: not ejected at attach: %+v", c.ret, m.Ejected())
		}
	}
	pol := newTestPolicy(0)
	pol.init = func(*Kernel) error { return errors.New("recipe: no such program") }
	if _, err := NewMachine(testParams(1), pol); err == nil || !strings.Contains(err.Error(), "no such program") {
		t.Errorf("a loader error: %v", err)
	}
}
