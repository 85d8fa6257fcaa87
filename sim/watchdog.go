package sim

import (
	"errors"
	"fmt"
)

// What the kernel checks when a policy is attached, and its watchdog
// (kernel/sched/ext.c; functions named as in Linux 6.12).

// The kernel counts the watchdog in jiffies (ticks of HZ).
func (m *Machine) jiffies(ns uint64) uint64 { return ns * uint64(m.P.HZ) / 1e9 }

// jiffyNs is when jiffy j begins, in ns.
func (m *Machine) jiffyNs(j uint64) uint64 {
	return (j*1e9 + uint64(m.P.HZ) - 1) / uint64(m.P.HZ)
}

// msecsToJiffies is msecs_to_jiffies(): rounded up.
func (m *Machine) msecsToJiffies(ms uint64) uint64 {
	return (ms*uint64(m.P.HZ) + 999) / 1000
}

// watchdogJiffies is scx_watchdog_timeout as scx_ops_enable() sets it:
// msecs_to_jiffies(ops.timeout_ms), or SCX_WATCHDOG_MAX_TIMEOUT (30 * HZ)
// when 0.
func (m *Machine) watchdogJiffies() uint64 {
	if m.ops.TimeoutMs == 0 {
		return 30 * uint64(m.P.HZ)
	}
	return m.msecsToJiffies(uint64(m.ops.TimeoutMs))
}

func (m *Machine) watchdogTimeout() uint64 { return m.jiffyNs(m.watchdogJiffies()) }

// ErrAttach is wrapped by the errors of a policy the kernel would refuse
// to attach (with the errno it would return).
var ErrAttach = errors.New("the kernel refuses to attach this policy")

// checkMembers is what bpf_scx_init_member() checks as the struct_ops map
// is loaded, before anything runs: a timeout_ms whose jiffies exceed
// SCX_WATCHDOG_MAX_TIMEOUT is -E2BIG.
func (m *Machine) checkMembers() error {
	if j := m.watchdogJiffies(); j > 30*uint64(m.P.HZ) {
		return fmt.Errorf("%w (-E2BIG): ops.timeout_ms = %d is above SCX_WATCHDOG_MAX_TIMEOUT, 30000 ms (bpf_scx_init_member(), kernel/sched/ext.c)",
			ErrAttach, m.ops.TimeoutMs)
	}
	return nil
}

// validateOps is validate_ops(), run by scx_ops_enable() after ops.init.
// An inconsistent ops table is an error (SCX_EXIT_ERROR), but the attach
// succeeds: scx_ops_enable_workfn() (ext.c 6.12) goes to err_disable,
// which records the error with scx_ops_error(), flushes the disable work
// (so ops.exit has run before the attach returns) and returns 0, "so that
// the error is notified through ops.exit() with all the details". The
// machine then runs under the built-in fallback, as after any ejection.
func (m *Machine) validateOps() {
	var msg string
	switch {
	case m.ops.Flags&OpsEnqLast != 0 && m.ops.Implements&CbEnqueue == 0:
		// ext.c 6.12 validate_ops()
		msg = "SCX_OPS_ENQ_LAST requires ops.enqueue() to be implemented"
	case m.Version() >= kvIdlePerNode && m.ops.Flags&OpsBuiltinIdlePerNode != 0 &&
		m.ops.Implements&CbUpdateIdle != 0 && m.ops.Flags&OpsKeepBuiltinIdle == 0:
		// ext.c 6.15 validate_ops()
		msg = "SCX_OPS_BUILTIN_IDLE_PER_NODE requires CPU idle selection enabled"
	}
	if msg == "" {
		return
	}
	m.scxError(msg)
	if m.ejected == nil {
		m.eject() // kthread_flush_work(&scx_ops_disable_work)
	}
}

// OpsInitError is what a policy's Init returns when its ops.init() returned
// an error code: not an attach failure, but an error exit at attach
// (scx_ops_enable_workfn(), ext.c 6.12: scx_ops_error("ops.init() failed
// (%d)") and err_disable, which returns 0 to user space).
type OpsInitError struct{ Ret int32 }

func (e *OpsInitError) Error() string {
	// ops_sanitize_err(): an errno outside -MAX_ERRNO..-1 is reported as
	// invalid (and becomes -EPROTO)
	if e.Ret < 0 && e.Ret >= -4095 {
		return fmt.Sprintf("ops.init() failed (%d)", e.Ret)
	}
	return fmt.Sprintf("ops.init() returned an invalid errno %d", e.Ret)
}

// armWatchdog queues the next check: scx_ops_enable() queues
// scx_watchdog_workfn() scx_watchdog_timeout / 2 jiffies after enable, and
// each run queues the next one as far after it.
func (m *Machine) armWatchdog() {
	m.wdNext += m.watchdogJiffies() / 2
	if m.wdNext == 0 {
		m.wdNext = 1
	}
	m.push(event{at: max(m.jiffyNs(m.wdNext), m.now), kind: evWatchdog})
}

// watchdog is scx_watchdog_workfn() -> check_rq_for_timeouts(): a task
// runnable but not run since runnable_at (in jiffies) fails the policy
// when time_after(jiffies, runnable_at + timeout), a strict comparison,
// with SCX_EXIT_ERROR_STALL and the kernel's message.
func (m *Machine) watchdog() {
	if m.ejected != nil {
		return
	}
	to := m.watchdogJiffies()
	now := m.jiffies(m.now)
	for _, t := range m.tasks {
		if t.state != TaskRunnable || !t.onExt() {
			continue // the kernel checks rq->scx.runnable_list
		}
		last := m.jiffies(t.K.Scx.RunnableAt)
		if now > last+to {
			ms := (now - last) * 1000 / uint64(m.P.HZ) // jiffies_to_msecs()
			m.fail(ExitErrorStall, "runnable task stall",
				fmt.Sprintf("%s[%d] failed to run for %d.%03ds", t.Comm, t.PID, ms/1000, ms%1000))
			return
		}
	}
	m.armWatchdog()
}
