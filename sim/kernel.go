package sim

import (
	"fmt"
	"math/bits"
)

// Kernel is what a policy may call: the semantics behind the sched_ext
// kfuncs (kernel/sched/ext.c, Linux 6.12-6.18). Methods run on the CPU of
// the callback in progress (CPU()).
type Kernel struct{ m *Machine }

// Machine returns the machine (for Go policies and the BPF bridge).
func (k *Kernel) Machine() *Machine { return k.m }

// CPU is the simulated CPU running the current callback
// (bpf_get_smp_processor_id()).
func (k *Kernel) CPU() int { return k.m.cur.cpu }

// Callback is the callback in progress, 0 outside callbacks.
func (k *Kernel) Callback() Callback { return k.m.cur.cb }

// Now is scx_bpf_now() / bpf_ktime_get_ns(): simulated ns.
func (k *Kernel) Now() uint64 { return k.m.now }

// NrCPUIDs is scx_bpf_nr_cpu_ids().
func (k *Kernel) NrCPUIDs() uint32 { return uint32(len(k.m.cpus)) }

// Charge accounts ns of scheduler-code time on the current CPU.
func (k *Kernel) Charge(ns uint64) { k.m.charge(k.m.cur.cpu, ns) }

// Error is scx_bpf_error(): the policy is ejected at the end of the
// current event (SCX_EXIT_ERROR_BPF), and the run continues under the
// fallback. Misuse the core detects (a bad DSQ id, a dispatch from the
// wrong callback...) is SCX_EXIT_ERROR instead, as scx_ops_error() makes
// it in ext.c (CoreError).
func (k *Kernel) Error(msg string) {
	k.m.fail(ExitErrorBPF, "scx_bpf_error", msg)
}

// CoreError ends the policy for an error the core detects
// (scx_ops_error() in ext.c 6.12, scx_error() from 6.15):
// SCX_EXIT_ERROR, reason "runtime error". The BPF bridge uses it for
// kfunc misuse that ext.c itself checks.
func (k *Kernel) CoreError(msg string) { k.m.scxError(msg) }

func (m *Machine) scxError(msg string) { m.fail(ExitError, "runtime error", msg) }

// Fault ends the policy because its code failed at run time (a BPF fault:
// an access outside its memory, a bad kfunc argument); reason names the
// kind of failure, msg says where and why.
func (k *Kernel) Fault(reason, msg string) {
	k.m.fail(ExitErrorBPF, reason, msg)
}

// Exit is scx_bpf_exit(): the policy asks to be unloaded.
func (k *Kernel) Exit(code int64, msg string) {
	if k.m.exitInfo != nil || k.m.disabling {
		return
	}
	k.m.exitInfo = &ExitInfo{Kind: ExitUnregBPF, Code: code, Reason: "scx_bpf_exit", Msg: msg}
}

// Failed reports whether the policy has hit an error (it will be ejected).
func (k *Kernel) Failed() bool { return k.m.exitInfo != nil }

// Disabling reports whether the disable path is calling ops.disable and
// ops.exit_task for the tasks still on the policy (disable.go): the
// policy's callbacks run although it has failed.
func (k *Kernel) Disabling() bool { return k.m.disabling }

// DSQInsert is scx_bpf_dsq_insert() (scx_bpf_dispatch() before 6.13).
func (k *Kernel) DSQInsert(p *Task, dsqID, slice, enqFlags uint64) {
	k.insert(p, dsqID, slice, enqFlags&^EnqDSQPriq)
}

// DSQInsertVtime is scx_bpf_dsq_insert_vtime().
func (k *Kernel) DSQInsertVtime(p *Task, dsqID, slice, vtime, enqFlags uint64) {
	p.K.Scx.DsqVtime = vtime
	k.insert(p, dsqID, slice, enqFlags|EnqDSQPriq)
}

func (k *Kernel) insert(p *Task, dsqID, slice, enqFlags uint64) {
	m := k.m
	if p == nil {
		k.m.scxError("scx_bpf_dsq_insert: NULL task")
		return
	}
	if slice != 0 {
		p.K.Scx.Slice = slice
	} else if p.K.Scx.Slice == 0 {
		p.K.Scx.Slice = 1
	}
	switch m.cur.cb {
	case CbSelectCPU, CbEnqueue:
		if p != m.cur.task {
			k.m.scxError(fmt.Sprintf("scx_bpf_dsq_insert: %s[%d] is not the task being %s, %s[%d]",
				p.Comm, p.PID, map[Callback]string{CbSelectCPU: "selected", CbEnqueue: "enqueued"}[m.cur.cb], m.cur.task.Comm, m.cur.task.PID))
			return
		}
		if p.K.Scx.DdspDsqID != DSQInvalid {
			k.m.scxError(fmt.Sprintf("scx_bpf_dsq_insert: %s[%d] already direct-dispatched", p.Comm, p.PID))
			return
		}
		p.K.Scx.DdspDsqID = dsqID
		p.K.Scx.DdspEnqFl = enqFlags
	case CbDispatch:
		c := m.cpus[m.cur.cpu]
		if len(c.dspBuf) >= int(m.ops.DispatchMaxBatch) {
			k.m.scxError("dispatch buffer overflow")
			return
		}
		c.dspBuf = append(c.dspBuf, dspEntry{p: p, dsq: dsqID, flags: enqFlags, qseq: p.qseq})
		c.dspNr++
	default:
		k.m.scxError(fmt.Sprintf("scx_bpf_dsq_insert called from %s, not from select_cpu, enqueue or dispatch", m.cur.cb))
	}
}

// DispatchNrSlots is scx_bpf_dispatch_nr_slots().
func (k *Kernel) DispatchNrSlots() uint32 {
	if k.m.cur.cb != CbDispatch {
		return 0
	}
	return k.m.ops.DispatchMaxBatch - uint32(len(k.m.cpus[k.m.cur.cpu].dspBuf))
}

// DispatchCancel is scx_bpf_dispatch_cancel(): drop the last buffered insert.
func (k *Kernel) DispatchCancel() {
	if k.m.cur.cb != CbDispatch {
		k.m.scxError("scx_bpf_dispatch_cancel called outside ops.dispatch()")
		return
	}
	c := k.m.cpus[k.m.cur.cpu]
	if n := len(c.dspBuf); n > 0 {
		c.dspBuf = c.dspBuf[:n-1]
	}
}

// DSQMoveToLocal is scx_bpf_dsq_move_to_local() (scx_bpf_consume() before
// 6.13): flush the dispatch buffer, then move the first eligible task of
// the DSQ to the current CPU's local DSQ.
func (k *Kernel) DSQMoveToLocal(dsqID uint64) bool {
	m := k.m
	if m.cur.cb != CbDispatch {
		k.m.scxError("scx_bpf_dsq_move_to_local called outside ops.dispatch()")
		return false
	}
	c := m.cpus[m.cur.cpu]
	m.flushDispatch(c)
	q := m.findDSQ(dsqID)
	if q == nil {
		k.m.scxError(fmt.Sprintf("invalid DSQ ID 0x%016x", dsqID))
		return false
	}
	if m.consume(c, q) {
		c.dspNr++
		return true
	}
	return false
}

// CreateDSQ is scx_bpf_create_dsq(); it returns 0 or a negative errno.
func (k *Kernel) CreateDSQ(dsqID uint64, node int32) int32 {
	if dsqID&DSQFlagBuiltin != 0 {
		return -22 // -EINVAL
	}
	if node < -1 || int(node) >= k.m.Topo.Spec.Nodes {
		return -22
	}
	if _, ok := k.m.userDSQ[dsqID]; ok {
		return -17 // -EEXIST
	}
	k.m.userDSQ[dsqID] = newDSQ(k.m, dsqID, -1)
	return 0
}

// DestroyDSQ is scx_bpf_destroy_dsq(). Destroying a DSQ that still holds
// tasks is an error, as in the kernel.
func (k *Kernel) DestroyDSQ(dsqID uint64) {
	q, ok := k.m.userDSQ[dsqID]
	if !ok {
		return
	}
	if q.Len() > 0 {
		k.m.scxError(fmt.Sprintf("destroying non-empty dispatch queue 0x%x (%d tasks)", dsqID, q.Len()))
		return
	}
	delete(k.m.userDSQ, dsqID)
}

// DSQNrQueued is scx_bpf_dsq_nr_queued(): tasks on a DSQ, or -ENOENT.
func (k *Kernel) DSQNrQueued(dsqID uint64) int32 {
	m := k.m
	switch {
	case dsqID == DSQLocal:
		return int32(m.cpus[m.cur.cpu].local.Len())
	case dsqID&DSQLocalOn == DSQLocalOn:
		cpu := int(dsqID & DSQLocalCPUMask)
		if cpu < len(m.cpus) {
			return int32(m.cpus[cpu].local.Len())
		}
	default:
		if q := m.findDSQ(dsqID); q != nil {
			return int32(q.Len())
		}
	}
	return -2 // -ENOENT
}

// DSQ returns a user DSQ (or the global one) for iteration by the bridge.
func (k *Kernel) DSQ(dsqID uint64) *DSQ { return k.m.findDSQ(dsqID) }

// KickCPU is scx_bpf_kick_cpu(). Kicks take effect when the callback
// returns. KickWait is accepted and treated as a plain kick: the kicking
// CPU does not wait (documented in docs/sched_ext.md).
func (k *Kernel) KickCPU(cpu int32, flags uint64) {
	if cpu < 0 || int(cpu) >= len(k.m.cpus) {
		k.m.scxError(fmt.Sprintf("invalid cpu %d", cpu))
		return
	}
	from := k.m.cpus[k.m.cur.cpu]
	from.kicks = append(from.kicks, kick{cpu: int(cpu), flags: flags})
	if k.m.cur.cb == 0 {
		k.m.processKicks(from)
	}
}

// TaskRunning is scx_bpf_task_running().
func (k *Kernel) TaskRunning(p *Task) bool { return p.state == TaskRunning }

// TaskCPU is scx_bpf_task_cpu().
func (k *Kernel) TaskCPU(p *Task) int32 { return int32(p.cpu) }

// TaskByPID is bpf_task_from_pid() (without the reference).
func (k *Kernel) TaskByPID(pid int32) *Task {
	i := int(pid) - 1
	if i < 0 || i >= len(k.m.tasks) || k.m.tasks[i].state == TaskExited {
		return nil
	}
	return k.m.tasks[i]
}

// Task returns the task with the given pid, exited or not, or nil.
func (k *Kernel) Task(pid int32) *Task {
	i := int(pid) - 1
	if i < 0 || i >= len(k.m.tasks) {
		return nil
	}
	return k.m.tasks[i]
}

// CurrTask returns the task running on cpu, or nil (scx_bpf_cpu_rq()->curr).
func (k *Kernel) CurrTask(cpu int32) *Task {
	if cpu < 0 || int(cpu) >= len(k.m.cpus) {
		return nil
	}
	return k.m.cpus[cpu].curr
}

func (k *Kernel) idleEnabled(fn string) bool {
	if !k.m.builtinIdle {
		k.idleDisabled(fn)
		return false
	}
	return true
}

// idleDisabled is idleEnabled's error, out of line (so that idleEnabled
// inlines).
//
//go:noinline
func (k *Kernel) idleDisabled(fn string) {
	k.m.scxError(fmt.Sprintf("%s: built-in idle tracking is disabled", fn))
}

// SelectCPUDfl is scx_bpf_select_cpu_dfl().
func (k *Kernel) SelectCPUDfl(p *Task, prevCPU int32, wakeFlags uint64) (int32, bool) {
	if !k.idleEnabled("scx_bpf_select_cpu_dfl") {
		return prevCPU, false
	}
	prev := int(prevCPU)
	if prev < 0 || prev >= len(k.m.cpus) {
		k.m.scxError(fmt.Sprintf("scx_bpf_select_cpu_dfl: invalid prev_cpu %d", prevCPU))
		return prevCPU, false
	}
	switch cb := k.m.cur.cb; {
	case cb == CbSelectCPU:
	case k.m.Version() < kvSelectFromEnqueue:
		// scx_kf_allowed(SCX_KF_SELECT_CPU) fails: an error
		k.m.scxError(fmt.Sprintf("scx_bpf_select_cpu_dfl called from ops.%s: before 6.16 only ops.select_cpu may call it", cb))
		return prevCPU, false
	case cb != CbEnqueue && cb != 0:
		// select_cpu_from_kfunc(): -EPERM outside select_cpu, enqueue
		// and unlocked contexts
		return prevCPU, false
	case p.K.NrCpusAllowed == 1:
		// a per-CPU task, from ops.enqueue: prev if it is idle
		if p.Allowed(prev) && k.m.testAndClearIdle(prev) {
			return prevCPU, true
		}
		return prevCPU, false
	}
	if k.m.Version() < kvLLCAware {
		cpu, found := k.m.selectCPUDfl612(p, prev, wakeFlags, k.m.cur.cpu)
		return int32(cpu), found
	}
	cpu, found := k.m.selectCPUDfl(p, prev, wakeFlags, k.m.cur.cpu) // selectCPUDflVersion, inline
	return int32(cpu), found
}

// TestAndClearCPUIdle is scx_bpf_test_and_clear_cpu_idle().
func (k *Kernel) TestAndClearCPUIdle(cpu int32) bool {
	if !k.idleEnabled("scx_bpf_test_and_clear_cpu_idle") || cpu < 0 || int(cpu) >= len(k.m.cpus) {
		return false
	}
	return k.m.testAndClearIdle(int(cpu))
}

// PickIdleCPU is scx_bpf_pick_idle_cpu(): an idle CPU in mask, claimed, or -EBUSY.
func (k *Kernel) PickIdleCPU(mask *CPUMask, flags uint64) int32 {
	if !k.idleEnabled("scx_bpf_pick_idle_cpu") {
		return -16
	}
	return int32(k.m.pickIdle(mask, flags))
}

// PickAnyCPU is scx_bpf_pick_any_cpu(): an idle CPU if any, else any CPU in mask.
func (k *Kernel) PickAnyCPU(mask *CPUMask, flags uint64) int32 {
	if k.m.builtinIdle {
		if c := k.m.pickIdle(mask, flags); c >= 0 {
			return int32(c)
		}
	}
	if c := k.m.distributeAnd(mask, &k.m.Topo.All); c >= 0 {
		return int32(c)
	}
	return -16
}

// IdleMask is scx_bpf_get_idle_cpumask(); IdleSMTMask scx_bpf_get_idle_smtmask().
func (k *Kernel) IdleMask() *CPUMask    { return &k.m.idle }
func (k *Kernel) IdleSMTMask() *CPUMask { return &k.m.idleSMT }

// Topology gives policies the machine's shape (LLC and node masks).
func (k *Kernel) Topology() *Topology { return k.m.Topo }

func (m *Machine) testAndClearIdle(cpu int) bool {
	if !m.idle.Test(cpu) {
		return false
	}
	m.idle.Clear(cpu)
	if m.Topo.SMT() {
		m.clearSMT(cpu)
	}
	return true
}

// distribute returns a CPU of mask, starting after the current CPU's
// cursor (cpumask_any_and_distribute()), or -1.
func (m *Machine) distribute(mask *CPUMask) int {
	c := m.cpus[m.cur.cpu]
	n := mask.Next(c.cursor + 1)
	if n < 0 {
		n = mask.Next(0)
	}
	if n >= 0 {
		c.cursor = n
	}
	return n
}

// distributeAnd is distribute(a & b) without building the intersection,
// reading each of the words that can hold one of the machine's CPUs once
// at most (b must be one of the machine's idle masks, or hold only its
// CPUs).
func (m *Machine) distributeAnd(a, b *CPUMask) int {
	c := m.cpus[m.cur.cpu]
	nw := min((len(m.cpus)+63)>>6, len(a.Bits))
	from := max(c.cursor+1, 0)
	fw := from >> 6
	if fw < nw {
		// nextAnd(a, b, from)
		if w := a.Bits[fw] & b.Bits[fw] & (^uint64(0) << (from & 63)); w != 0 {
			n := fw<<6 | bits.TrailingZeros64(w)
			c.cursor = n
			return n
		}
		for i := fw + 1; i < nw; i++ {
			if w := a.Bits[i] & b.Bits[i]; w != 0 {
				n := i<<6 | bits.TrailingZeros64(w)
				c.cursor = n
				return n
			}
		}
	} else {
		fw = nw - 1
	}
	// nextAnd(a, b, 0): nothing is set from from on, so only the words
	// up to from's need be read
	for i := 0; i <= fw; i++ {
		if w := a.Bits[i] & b.Bits[i]; w != 0 {
			n := i<<6 | bits.TrailingZeros64(w)
			c.cursor = n
			return n
		}
	}
	return -1
}

// anyAnd reports whether a & b is not empty (b as for distributeAnd).
func (m *Machine) anyAnd(a, b *CPUMask) bool {
	nw := min((len(m.cpus)+63)>>6, len(a.Bits))
	for i := 0; i < nw; i++ {
		if a.Bits[i]&b.Bits[i] != 0 {
			return true
		}
	}
	return false
}

// pickIdle is scx_pick_idle_cpu().
func (m *Machine) pickIdle(allowed *CPUMask, flags uint64) int {
	for {
		if m.Topo.SMT() {
			// distributeAnd finds a CPU if and only if allowed &
			// idleSMT is not empty
			if cpu := m.distributeAnd(allowed, &m.idleSMT); cpu >= 0 {
				if m.testAndClearIdle(cpu) {
					return cpu
				}
				continue
			}
			if flags&PickIdleCore != 0 {
				return -16 // -EBUSY
			}
		}
		cpu := m.distributeAnd(allowed, &m.idle)
		if cpu < 0 {
			return -16
		}
		if m.testAndClearIdle(cpu) {
			return cpu
		}
	}
}

// selectCPUDflVersion is scx_select_cpu_dfl() of the machine's version.
func (m *Machine) selectCPUDflVersion(p *Task, prev int, wakeFlags uint64, cur int) (int, bool) {
	if m.Version() < kvLLCAware {
		return m.selectCPUDfl612(p, prev, wakeFlags, cur)
	}
	return m.selectCPUDfl(p, prev, wakeFlags, cur)
}

// selectCPUDfl is scx_select_cpu_dfl() of Linux 6.13 on: prefer, in order,
// the waker's CPU for sync wakeups, a wholly idle core (prev's, then in
// prev's LLC, node, anywhere), prev if idle, an idle CPU in prev's LLC,
// node, anywhere. Returns (cpu, found idle).
func (m *Machine) selectCPUDfl(p *Task, prev int, wakeFlags uint64, cur int) (int, bool) {
	topo := m.Topo
	// A task allowed everywhere (the common case) needs no mask
	// intersections: use the topology's masks as they are.
	all := int(p.K.NrCpusAllowed) >= len(m.cpus)
	allowed := &topo.All
	llc := &topo.LLCMask[topo.CPUs[prev].LLC]
	node := &topo.NodeMask[topo.CPUs[prev].Node]
	if !all {
		var l, n CPUMask
		allowed = &p.K.CpusMask
		l.And(allowed, llc)
		n.And(allowed, node)
		llc, node = &l, &n
	}
	ok := func(cpu int) bool { return all || p.Allowed(cpu) }
	multiLLC := len(topo.LLCMask) > 1
	multiNode := len(topo.NodeMask) > 1

	if wakeFlags&WakeSync != 0 && cur >= 0 && cur < len(m.cpus) {
		if topo.CPUs[cur].LLC == topo.CPUs[prev].LLC && m.testAndClearIdle(prev) {
			return prev, true
		}
		if m.cpus[cur].local.Len() == 0 && !m.idle.Empty() && ok(cur) {
			return cur, true
		}
	}
	if topo.SMT() {
		if m.idleSMT.Test(prev) && ok(prev) && m.testAndClearIdle(prev) {
			return prev, true
		}
		// with no wholly idle core allowed, the three searches below
		// fail (and change nothing): skip them
		if m.anyAnd(allowed, &m.idleSMT) {
			if multiLLC {
				if c := m.pickIdle(llc, PickIdleCore); c >= 0 {
					return c, true
				}
			}
			if multiNode {
				if c := m.pickIdle(node, PickIdleCore); c >= 0 {
					return c, true
				}
			}
			if c := m.pickIdle(allowed, PickIdleCore); c >= 0 {
				return c, true
			}
		}
	}
	if ok(prev) && m.testAndClearIdle(prev) {
		return prev, true
	}
	if multiLLC {
		if c := m.pickIdle(llc, 0); c >= 0 {
			return c, true
		}
	}
	if multiNode {
		if c := m.pickIdle(node, 0); c >= 0 {
			return c, true
		}
	}
	if c := m.pickIdle(allowed, 0); c >= 0 {
		return c, true
	}
	return prev, false
}
