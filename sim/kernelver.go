package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// KernelVersion selects the sched_ext semantics a run follows: the minor
// number of Linux 6.x ([machine] kernel; docs/sched_ext.md lists what
// differs). 0 means KernelLatest.
type KernelVersion int

// The versions schedsim knows; the latest is the default.
const (
	KernelFirst  KernelVersion = 12
	KernelLatest KernelVersion = 18
)

// Kernel versions where the semantics change.
const (
	// 6.13: scx_select_cpu_dfl() prefers prev_cpu for a WAKE_SYNC wakeup
	// when it shares the waker's LLC and is idle, and searches the LLC,
	// then the NUMA node, before the whole machine ("sched_ext: Introduce
	// LLC awareness / NUMA awareness to the default idle selection
	// policy"); SCX_DSQ_GLOBAL is split per NUMA node ("sched_ext: Split
	// the global DSQ per NUMA node"); an idle CPU going idle again re-sets
	// its idle bit (__scx_update_idle() on idle-to-idle, "sched_ext: idle:
	// Refresh idle masks during idle-to-idle transitions", also in 6.12.y).
	kvLLCAware KernelVersion = 13
	// 6.15: SCX_OPS_BUILTIN_IDLE_PER_NODE, and validate_ops() requires the
	// built-in idle selection for it.
	kvIdlePerNode KernelVersion = 15
	// 6.16: scx_bpf_select_cpu_dfl() (select_cpu_from_kfunc()) may be
	// called from ops.enqueue and unlocked contexts too; before, only
	// from ops.select_cpu (scx_kf_allowed(SCX_KF_SELECT_CPU), an error).
	kvSelectFromEnqueue KernelVersion = 16
)

// ParseKernelVersion reads "6.12" ... "6.18" or "latest".
func ParseKernelVersion(s string) (KernelVersion, error) {
	if s == "latest" || s == "" {
		return KernelLatest, nil
	}
	if minor, ok := strings.CutPrefix(s, "6."); ok {
		if n, err := strconv.Atoi(minor); err == nil && KernelVersion(n) >= KernelFirst && KernelVersion(n) <= KernelLatest {
			return KernelVersion(n), nil
		}
	}
	return 0, fmt.Errorf("kernel %q: expected one of %s", s, strings.Join(KernelVersionNames(), ", "))
}

// KernelVersionNames lists the accepted names.
func KernelVersionNames() []string {
	var ns []string
	for v := KernelFirst; v <= KernelLatest; v++ {
		ns = append(ns, v.String())
	}
	return append(ns, "latest")
}

func (v KernelVersion) String() string {
	if v == 0 {
		v = KernelLatest
	}
	return "6." + strconv.Itoa(int(v))
}

// Version is the sched_ext version the machine follows.
func (m *Machine) Version() KernelVersion {
	if m.P.Kernel == 0 {
		return KernelLatest
	}
	return m.P.Kernel
}

// globalOf is the global DSQ serving cpu: one for the machine up to 6.12,
// one per NUMA node from 6.13 (find_global_dsq(): the node of task_cpu()).
func (m *Machine) globalOf(cpu int) *DSQ {
	if len(m.globals) == 1 || cpu < 0 || cpu >= len(m.cpus) {
		return m.globals[0]
	}
	return m.globals[m.Topo.CPUs[cpu].Node]
}

// selectCPUDfl612 is scx_select_cpu_dfl() as Linux 6.12 has it: a
// WAKE_SYNC wakeup goes to the waker's CPU if any CPU is idle and the
// waker's local DSQ is empty; with SMT, prev_cpu if its core is wholly
// idle, then any wholly idle core; prev_cpu if idle; any idle CPU. No LLC
// or NUMA steps.
func (m *Machine) selectCPUDfl612(p *Task, prev int, wakeFlags uint64, cur int) (int, bool) {
	allowed := &p.K.CpusMask
	if wakeFlags&WakeSync != 0 && cur >= 0 && cur < len(m.cpus) &&
		!m.idle.Empty() && m.cpus[cur].local.Len() == 0 && p.Allowed(cur) {
		return cur, true
	}
	if m.Topo.SMT() {
		if m.idleSMT.Test(prev) && m.testAndClearIdle(prev) {
			return prev, true
		}
		if c := m.pickIdle(allowed, PickIdleCore); c >= 0 {
			return c, true
		}
	}
	if m.testAndClearIdle(prev) {
		return prev, true
	}
	if c := m.pickIdle(allowed, 0); c >= 0 {
		return c, true
	}
	return prev, false
}

// refreshIdle is __scx_update_idle(rq, true, false) from pick_task_idle():
// a CPU that goes idle again (a kick found nothing to run) gets its idle
// bit back, without ops.update_idle (6.13 on).
func (m *Machine) refreshIdle(c *CPU) {
	if !m.builtinIdle || m.Version() < kvLLCAware || m.idle.Test(c.ID) {
		return
	}
	m.idle.Set(c.ID)
	core := &m.Topo.CoreMask[c.Topo.Core]
	for s := core.Next(0); s >= 0; s = core.Next(s + 1) {
		if !m.idle.Test(s) {
			return
		}
	}
	for s := core.Next(0); s >= 0; s = core.Next(s + 1) {
		m.idleSMT.Set(s)
	}
}
