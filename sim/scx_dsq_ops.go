package sim

import "fmt"

// Kernel-side operations on DSQs that upstream schedulers use beyond
// inserting and consuming: iteration (bpf_iter_scx_dsq_*), peeking
// (scx_bpf_dsq_peek), moving a task found by iteration
// (scx_bpf_dsq_move*), and re-enqueueing a CPU's local DSQ
// (scx_bpf_reenqueue_local). Semantics from kernel/sched/ext.c (6.12-6.18).

// resolveDSQ finds the DSQ an iterator or peek names: a user DSQ, the
// global DSQ, SCX_DSQ_LOCAL (the current CPU's) or SCX_DSQ_LOCAL_ON | cpu.
func (k *Kernel) resolveDSQ(id uint64) *DSQ {
	m := k.m
	switch {
	case id == DSQLocal:
		if cpu := m.cur.cpu; cpu >= 0 && cpu < len(m.cpus) {
			return m.cpus[cpu].local
		}
		return nil
	case id&DSQLocalOn == DSQLocalOn:
		if cpu := int(id & DSQLocalCPUMask); cpu < len(m.cpus) {
			return m.cpus[cpu].local
		}
		return nil
	}
	return m.findDSQ(id)
}

// DSQTasks returns the tasks queued on DSQ id in dispatch order (what
// bpf_iter_scx_dsq_new() starts walking), and false if there is no such
// DSQ (the kernel's -ENOENT).
func (k *Kernel) DSQTasks(id uint64) ([]*Task, bool) {
	q := k.resolveDSQ(id)
	if q == nil {
		return nil, false
	}
	return q.Tasks(), true
}

// DSQPeek is scx_bpf_dsq_peek(): the first task of the DSQ, or nil.
func (k *Kernel) DSQPeek(id uint64) *Task {
	q := k.resolveDSQ(id)
	if q == nil {
		k.Error(fmt.Sprintf("scx_bpf_dsq_peek: invalid DSQ ID 0x%016x", id))
		return nil
	}
	if q.Len() == 0 {
		return nil
	}
	return q.first()
}

// TaskOnDSQ reports whether p is queued on the DSQ id.
func (k *Kernel) TaskOnDSQ(p *Task, id uint64) bool {
	q := k.resolveDSQ(id)
	return q != nil && p.dsq == q
}

// DSQMove is scx_dsq_move(): move p, found on DSQ from by an iterator, to
// the DSQ to (a local one as dispatch_to_local_dsq() would). slice and
// vtime, if non-nil, are set first (scx_bpf_dsq_move_set_slice/vtime). In
// ops.dispatch the dispatch buffer is flushed first. It fails (false) if p
// has left the DSQ since the iterator saw it.
func (k *Kernel) DSQMove(p *Task, from, to, enqFlags uint64, slice, vtime *uint64) bool {
	m := k.m
	if cpu := m.cur.cpu; m.cur.cb == CbDispatch && cpu >= 0 && cpu < len(m.cpus) {
		m.flushDispatch(m.cpus[cpu])
	}
	src := k.resolveDSQ(from)
	if src == nil || p.dsq != src || p.state != TaskRunnable {
		return false
	}
	src.remove(p)
	if slice != nil {
		p.K.Scx.Slice = *slice
	}
	if vtime != nil {
		p.K.Scx.DsqVtime = *vtime
	}
	cur := m.cur.cpu
	if cur < 0 || cur >= len(m.cpus) {
		cur = p.cpu
	}
	m.dispatchTo(p, to, enqFlags, cur, false)
	return true
}

// ReenqueueLocal is scx_bpf_reenqueue_local(): every task on the current
// CPU's local DSQ is taken off it, then each is enqueued again through
// ops.enqueue with SCX_ENQ_REENQ; it returns how many. In 6.12-6.18 only
// ops.cpu_release() may call it (scx_kf_allowed(SCX_KF_CPU_RELEASE));
// from anywhere else it is an error that ejects the policy, and returns 0.
func (k *Kernel) ReenqueueLocal() uint32 {
	m := k.m
	if m.cur.cb != CbCPURelease {
		m.scxError(fmt.Sprintf("scx_bpf_reenqueue_local called from ops.%s: only ops.cpu_release may call it", m.cur.cb))
		return 0
	}
	cpu := m.cur.cpu
	if cpu < 0 || cpu >= len(m.cpus) {
		return 0
	}
	c := m.cpus[cpu]
	// off the local DSQ first, so that tasks the policy puts back there
	// are not processed again
	ts := c.local.Tasks()
	for _, t := range ts {
		c.local.remove(t)
	}
	for _, t := range ts {
		m.doEnqueue(t, EnqReenq, cpu)
	}
	return uint32(len(ts))
}

// NodeOf is scx_bpf_cpu_node(): the NUMA node of cpu.
func (k *Kernel) NodeOf(cpu int32) int {
	if cpu < 0 || int(cpu) >= len(k.m.cpus) {
		k.Error(fmt.Sprintf("invalid cpu %d", cpu))
		return 0
	}
	return k.m.Topo.CPUs[cpu].Node
}

// RunQueue is what struct rq shows of a CPU: its current task (nil when
// idle), the number of runnable tasks on it, and the run queue clocks.
type RunQueue struct {
	Curr      *Task
	NrRunning uint32
	Clock     uint64
	ClockTask uint64
}

// RunQueue returns cpu's run queue state. clock_task is the clock less the
// time spent in scheduler code charged to the CPU (the kernel subtracts
// IRQ and steal time; schedsim has no IRQs).
func (k *Kernel) RunQueue(cpu int32) RunQueue {
	m := k.m
	if cpu < 0 || int(cpu) >= len(m.cpus) {
		return RunQueue{}
	}
	c := m.cpus[cpu]
	rq := RunQueue{Curr: c.curr, NrRunning: uint32(c.local.Len()), Clock: m.now, ClockTask: m.now}
	if c.curr != nil {
		rq.NrRunning++
	}
	return rq
}
