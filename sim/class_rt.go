package sim

import "fmt"

// Scheduling classes above sched_ext: the real-time class (SCHED_FIFO).
//
// Linux runs its scheduling classes in a strict order (stop, deadline, RT,
// fair, ext, idle): a CPU runs a sched_ext task only when no task of a
// higher class is runnable on it. schedsim models the RT class, enough of it
// for what a BPF scheduler sees (kernel/sched/ext.c, Linux 6.12):
//
//   - An RT task runnable on a CPU preempts the sched_ext task running there
//     (wakeup_preempt: a higher class always reschedules). The preempted
//     task is put back by put_prev_task_scx(): ops.stopping(p, true), then
//     to the head of the CPU's local DSQ if it has slice left, else through
//     ops.enqueue; then switch_class() calls ops.cpu_release(cpu, {reason =
//     SCX_CPU_PREEMPT_RT, task = the RT task}), once until the CPU comes
//     back: the next balance_one() on it calls ops.cpu_acquire(cpu, NULL).
//     A CPU going from idle to RT gets neither (as in ext.c).
//   - RT tasks are SCHED_FIFO or SCHED_RR: the highest rt_priority runs;
//     equal priorities run in arrival order; a task runs until it sleeps,
//     blocks or exits, or a higher-priority RT task preempts it (it then
//     stays at the head of its priority); a SCHED_RR task also goes behind
//     the others of its priority on its CPU every 100 ms of running
//     (task_tick_rt()). No RT throttling (sched_rt_runtime_us), no
//     deadline or stop class.
//   - Placement follows select_task_rq_rt(): a waking RT task stays on its
//     previous CPU unless an RT task of higher or equal priority runs there;
//     then find_lowest_rq() takes the allowed CPU of lowest priority (a CPU
//     with no RT task queued or running counts as CPUPRI_NORMAL, idle or
//     not, as in cpupri), preferring the previous CPU, then the waker's,
//     then the lowest-numbered in the previous CPU's LLC, node, machine;
//     the task moves only if that CPU's highest RT priority is lower than
//     its own. When an RT task leaves a CPU with no other RT task queued,
//     the CPU pulls the highest-priority RT task waiting on another CPU
//     (pull_rt_task(); CPUs scanned in order), and a CPU that switches to
//     an RT task pushes the RT tasks left waiting behind it to CPUs of
//     lower priority (push_rt_tasks()).
//   - RT tasks get ops.init_task and ops.exit_task, as every task does
//     (scx_fork(), sched_ext_free()), but never ops.enable or the
//     scheduling callbacks: the BPF scheduler does not schedule them.
//     Their CPU time counts as busy and, separately, as RT time (metrics).

// TaskClass is a task's scheduling class.
type TaskClass uint8

const (
	// ClassExt is a sched_ext task (SCHED_EXT; with a BPF scheduler
	// attached in full mode every SCHED_NORMAL task is one).
	ClassExt TaskClass = iota
	// ClassRT is a real-time SCHED_FIFO task of the kernel's RT class,
	// which preempts sched_ext tasks.
	ClassRT
	// ClassFair is a SCHED_NORMAL task in the kernel's fair class, above
	// sched_ext: only with SCX_OPS_SWITCH_PARTIAL (class_fair.go).
	ClassFair
)

// TaskClassNames are the names configs use for the classes (workload key
// class), by TaskClass.
var TaskClassNames = []string{"ext", "rt", "fair"}

func (c TaskClass) String() string {
	if int(c) < len(TaskClassNames) {
		return TaskClassNames[c]
	}
	return fmt.Sprintf("class%d", c)
}

// SchedFIFO and SchedRR are the kernel's SCHED_FIFO and SCHED_RR policy
// numbers (p->policy).
const (
	SchedFIFO = 1
	SchedRR   = 2
)

// rrTimeslice is sched_rr_timeslice in ticks: RR_TIMESLICE, 100 ms.
func (m *Machine) rrTimeslice() int { return max(1, 100*m.P.HZ/1000) }

// rtTick is task_tick_rt(): a SCHED_RR task whose slice ran out gets a
// new one and, if another RT task of its priority waits on its CPU, goes
// behind it (requeue_task_rt() and a reschedule). SCHED_FIFO has no slice.
func (m *Machine) rtTick(c *CPU, t *Task) {
	if !t.rtRR {
		return
	}
	if t.rtSlice--; t.rtSlice > 0 {
		return
	}
	t.rtSlice = m.rrTimeslice()
	if len(c.rtq) > 0 && c.rtq[0].rtPrio == t.rtPrio {
		t.rtRequeue = true
		m.resched(c.ID)
	}
}

// MaxRTPrio is MAX_RT_PRIO: rt_priority goes from 1 to MaxRTPrio-1.
const MaxRTPrio = 100

// Class returns the task's scheduling class.
func (t *Task) Class() TaskClass { return t.class }

// RTPriority returns an RT task's rt_priority (1-99), 0 for others.
func (t *Task) RTPriority() int { return t.rtPrio }

// onExt reports whether t is a sched_ext task (p->sched_class ==
// &ext_sched_class).
func (t *Task) onExt() bool { return t.class == ClassExt }

// rtActivate is try_to_wake_up() / wake_up_new_task() for an RT task:
// select_task_rq_rt(), enqueue_task_rt(), wakeup_preempt().
func (m *Machine) rtActivate(t *Task, wakeFlags uint64, waker int) {
	cpu := m.rtSelectCPU(t, waker)
	m.setTaskCPU(t, cpu)
	t.state = TaskRunnable
	t.runnableSince = m.now
	c := m.cpus[cpu]
	m.rtEnqueue(c, t, false)
	if m.obs != nil {
		m.obs.Wakeup(m.now, t, cpu, wakeFlags&WakeFork != 0)
	}
	m.rtPreemptCheck(c, t)
}

// rtPreemptCheck is wakeup_preempt() for an RT task t queued on c: a CPU
// running a task of a lower class, its idle task, or a lower-priority RT
// task reschedules.
func (m *Machine) rtPreemptCheck(c *CPU, t *Task) {
	if cur := c.curr; cur == nil || cur.class != ClassRT || cur.rtPrio < t.rtPrio {
		m.resched(c.ID)
	}
}

// rtPrioOf is the CPU's priority as cpupri sees it: the highest RT
// priority queued or running there, 0 (CPUPRI_NORMAL) without RT tasks.
func (m *Machine) rtPrioOf(c *CPU) int {
	p := 0
	if cur := c.curr; cur != nil && cur.class == ClassRT && cur.state == TaskRunning {
		p = cur.rtPrio
	}
	if len(c.rtq) > 0 {
		p = max(p, c.rtq[0].rtPrio)
	}
	return p
}

// rtSelectCPU is select_task_rq_rt().
func (m *Machine) rtSelectCPU(t *Task, waker int) int {
	prev := t.cpu
	if !t.Allowed(prev) {
		prev = t.K.CpusMask.Next(0)
	}
	cur := m.cpus[prev].curr
	if cur == nil || cur == t || cur.class != ClassRT || cur.rtPrio < t.rtPrio {
		return prev
	}
	if target := m.rtFindLowest(t, prev, waker, -1); target >= 0 && m.rtPrioOf(m.cpus[target]) < t.rtPrio {
		return target
	}
	return prev
}

// rtFindLowest is find_lowest_rq(): among the CPUs t may run on (but
// not exclude), those of the lowest cpupri below t's priority; prev if it
// is one, then the waker's CPU, then the first in prev's LLC, node, the
// machine. -1 if every allowed CPU runs RT work of t's priority or above.
func (m *Machine) rtFindLowest(t *Task, prev, waker, exclude int) int {
	lowest := t.rtPrio
	var set CPUMask
	for _, c := range m.cpus {
		if c.ID == exclude || !t.Allowed(c.ID) {
			continue
		}
		switch p := m.rtPrioOf(c); {
		case p < lowest:
			lowest = p
			set = CPUMask{}
			set.Set(c.ID)
		case p == lowest && p < t.rtPrio:
			set.Set(c.ID)
		}
	}
	if set.Empty() {
		return -1
	}
	if prev >= 0 && set.Test(prev) {
		return prev
	}
	if waker >= 0 && waker < len(m.cpus) && set.Test(waker) {
		return waker
	}
	if prev >= 0 {
		topo := m.Topo
		for _, dom := range []*CPUMask{&topo.LLCMask[topo.CPUs[prev].LLC], &topo.NodeMask[topo.CPUs[prev].Node]} {
			var in CPUMask
			in.And(&set, dom)
			if cpu := in.Next(0); cpu >= 0 {
				return cpu
			}
		}
	}
	return set.Next(0)
}

// rtEnqueue queues t on c's RT runqueue: after the tasks of its priority
// or above, or at the head of its priority (a preempted SCHED_FIFO task).
func (m *Machine) rtEnqueue(c *CPU, t *Task, head bool) {
	i := 0
	for i < len(c.rtq) && (c.rtq[i].rtPrio > t.rtPrio || !head && c.rtq[i].rtPrio == t.rtPrio) {
		i++
	}
	c.rtq = append(c.rtq, nil)
	copy(c.rtq[i+1:], c.rtq[i:])
	c.rtq[i] = t
}

func (m *Machine) rtDequeue(c *CPU, t *Task) {
	for i, q := range c.rtq {
		if q == t {
			c.rtq = append(c.rtq[:i], c.rtq[i+1:]...)
			return
		}
	}
}

// pickRT is the RT class's part of __schedule() on c: the RT task to run
// next (prev again if it stays), or nil when the RT class has nothing and
// sched_ext picks. prev, if an RT task still runnable, is requeued.
func (m *Machine) pickRT(c *CPU, prev *Task) *Task {
	prevRT := prev != nil && prev.class == ClassRT
	requeue := prevRT && prev.rtRequeue
	if prevRT {
		prev.rtRequeue = false
	}
	if prevRT && prev.state == TaskRunning {
		if requeue && len(c.rtq) > 0 && c.rtq[0].rtPrio == prev.rtPrio {
			// SCHED_RR: to the tail of its priority
			prev.state = TaskRunnable
			prev.runnableSince = m.now
			m.rtEnqueue(c, prev, false)
			next := c.rtq[0]
			c.rtq = c.rtq[1:]
			return next
		}
		if len(c.rtq) == 0 || c.rtq[0].rtPrio <= prev.rtPrio {
			return prev
		}
		// preempted by a higher priority: back to the head of its level
		prev.state = TaskRunnable
		prev.runnableSince = m.now
		m.rtEnqueue(c, prev, true)
	}
	if prevRT && (len(c.rtq) == 0 || c.rtq[0].rtPrio < prev.rtPrio) {
		m.rtPull(c)
	}
	if len(c.rtq) == 0 {
		return nil
	}
	next := c.rtq[0]
	c.rtq = c.rtq[1:]
	return next
}

// rtPull is pull_rt_task(): c's RT priority dropped; take the
// highest-priority RT task waiting on another CPU that may run here and
// outranks what c has queued.
func (m *Machine) rtPull(c *CPU) {
	var best *Task
	var from *CPU
	floor := 0
	if len(c.rtq) > 0 {
		floor = c.rtq[0].rtPrio
	}
	for _, o := range m.cpus {
		if o == c {
			continue
		}
		for _, t := range o.rtq {
			if t.Allowed(c.ID) && t.rtPrio > floor && (best == nil || t.rtPrio > best.rtPrio) {
				best, from = t, o
			}
		}
	}
	if best == nil {
		return
	}
	m.rtDequeue(from, best)
	m.setTaskCPU(best, c.ID)
	m.rtEnqueue(c, best, false)
}

// rtPush is push_rt_tasks() after c switched to an RT task: the RT tasks
// left waiting on c move to CPUs of lower priority where they can run now.
func (m *Machine) rtPush(c *CPU) {
	for i := 0; i < len(c.rtq); {
		t := c.rtq[i]
		if t.K.NrCpusAllowed < 2 {
			i++
			continue
		}
		target := m.rtFindLowest(t, c.ID, -1, c.ID)
		if target < 0 {
			i++
			continue
		}
		c.rtq = append(c.rtq[:i], c.rtq[i+1:]...)
		m.setTaskCPU(t, target)
		tc := m.cpus[target]
		m.rtEnqueue(tc, t, false)
		m.rtPreemptCheck(tc, t)
	}
}

// switchClass is the end of put_prev_task_scx() when the next task is of
// a higher class: switch_class() tells the policy the CPU is no longer its
// own (ops.cpu_release), once until balance_one() gives it back.
func (m *Machine) switchClass(c *CPU, next *Task) {
	if !m.ops.Has(CbCPUAcquire) && !m.ops.Has(CbCPURelease) {
		return // the scx_ops_cpu_preempt static branch is off
	}
	if c.cpuReleased || m.exitInfo != nil {
		return
	}
	if m.has(CbCPURelease) {
		if h, ok := m.sched.(CPUClassCallbacks); ok {
			args := CPUReleaseArgs{Reason: CPUPreemptRT, Task: next}
			if next.class == ClassFair {
				args.Reason = CPUPreemptUnknown // preempt_reason_from_class()
			}
			m.call(c.ID, CbCPURelease, next, func() int32 { h.CPURelease(int32(c.ID), args); return 0 })
		}
	}
	c.cpuReleased = true
}

// cpuAcquire is the start of balance_one(): a CPU released to a higher
// class is the policy's again (ops.cpu_acquire(cpu, NULL)).
func (m *Machine) cpuAcquire(c *CPU) {
	if !c.cpuReleased {
		return
	}
	c.cpuReleased = false
	if m.has(CbCPUAcquire) {
		if h, ok := m.sched.(CPUClassCallbacks); ok {
			m.call(c.ID, CbCPUAcquire, nil, func() int32 { h.CPUAcquire(int32(c.ID)); return 0 })
		}
	}
}

// CPUReleased reports whether cpu was taken from the policy by a higher
// class and not yet given back (rq->scx.cpu_released).
func (c *CPU) CPUReleased() bool { return c.cpuReleased }

// RTQueued returns the RT tasks waiting on the CPU, highest priority
// first (not the running one).
func (c *CPU) RTQueued() []*Task { return c.rtq }

// switchToRT ends __schedule() on c when the RT class picked next: an ext
// prev is put back (put_prev_task_scx(): still runnable, to the head of
// the local DSQ with its slice left, or through ops.enqueue) and the
// policy told that the CPU is taken (switch_class()); then the switch,
// and the RT tasks left waiting are pushed elsewhere.
func (m *Machine) switchToRT(c *CPU, prev, next *Task, prevQueued bool) {
	if next == prev {
		m.armTick(c)
		return
	}
	if prev != nil && prev.onExt() {
		if prevQueued {
			m.putPrev(c, prev, false)
		}
		m.switchClass(c, next)
	}
	next.state = TaskRunnable // off the RT runqueue, being switched in
	m.switchTo(c, prev, next)
	m.rtPush(c)
}

// DefaultRTPriority is the rt_priority of an RT workload that gives none.
const DefaultRTPriority = 50

// taskClass reads a workload's class and rt_priority.
func (d *decoder) taskClass(t *table, spec *WorkloadSpec) {
	if t.str("class", "ext", "ext", "rt") == "rt" {
		spec.Class = ClassRT
		spec.RTPriority = int(t.integer("rt_priority", DefaultRTPriority, 1, MaxRTPrio-1))
		spec.RTRoundRobin = t.str("rt_policy", "fifo", "fifo", "rr") == "rr"
		if t.has("nice") {
			d.errorf(t.key("nice"), "nice has no effect on an RT task (class = \"rt\"); set rt_priority instead")
		}
		if t.has("sched_policy") {
			t.get("sched_policy")
			d.errorf(t.key("sched_policy"), "sched_policy is for non-RT tasks (an RT task's policy is SCHED_FIFO or SCHED_RR); remove it")
		}
		return
	}
	// SCHED_NORMAL or SCHED_EXT: only matters with SCX_OPS_SWITCH_PARTIAL
	spec.SchedExt = t.str("sched_policy", "normal", "normal", "ext") == "ext"
	for _, k := range []string{"rt_priority", "rt_policy"} {
		if t.has(k) {
			t.get(k)
			d.errorf(t.key(k), "%s is for RT tasks only; add class = \"rt\" or remove it", k)
		}
	}
}
