package sim

// The fair class (SCHED_NORMAL tasks under SCX_OPS_SWITCH_PARTIAL).
//
// Without SCX_OPS_SWITCH_PARTIAL a BPF scheduler takes every SCHED_NORMAL
// task (scx_switching_all); with it, task_should_scx() sends only tasks
// whose policy is SCHED_EXT to sched_ext and the others stay in the fair
// class (kernel/sched/ext.c, Linux 6.12). The kernel's class order is
// stop, deadline, RT, fair, ext, idle: fair sits ABOVE sched_ext, so
//
//   - a fair task waking on a CPU that runs a sched_ext task (or idles)
//     preempts it (wakeup_preempt(): a higher class reschedules); the
//     sched_ext task is put back as for RT (put_prev_task_scx(): head of
//     the local DSQ with its slice left, else ops.enqueue) and the policy
//     gets ops.cpu_release(cpu, {SCX_CPU_PREEMPT_UNKNOWN, the fair task})
//     (preempt_reason_from_class());
//   - a CPU runs sched_ext tasks only when it has no RT or fair task; a
//     sched_ext task inserted into the local DSQ of a CPU running a fair
//     task waits (local_dsq_post_enq() reschedules only a lower class).
//     Busy fair tasks can starve sched_ext tasks, as in 6.12.
//
// Fair tasks get ops.init_task and ops.exit_task (scx_fork(),
// sched_ext_free(): every task), never ops.enable, ops.disable or the
// scheduling callbacks (scx_post_fork() enables only tasks on the ext
// class). p->policy is SCHED_NORMAL.
//
// schedsim's fair class is a small model, not EEVDF:
//
//   - per CPU, runnable fair tasks wait ordered by vruntime (ties: arrival
//     order); vruntime grows by ran * 1024 / weight, the weight from nice
//     (sched_prio_to_weight, NiceToWeight);
//   - the running task keeps the CPU for FairSlice of running (3 ms, the
//     order of sysctl_sched_base_slice scaled for a few CPUs), then, at a
//     tick, yields to a waiting task of smaller vruntime; a waking fair
//     task never preempts a running fair task;
//   - a waking task's vruntime is raised to the CPU's min_vruntime (the
//     smallest vruntime seen there, monotonic) so sleepers get no credit
//     beyond it; vruntime is not renormalised when a task changes CPU (a
//     task arriving from a busier CPU queues behind the local ones);
//   - placement on wakeup: the previous CPU if it has no RT or fair task
//     running or waiting, else the allowed CPU with the fewest RT and fair
//     tasks (running + waiting), previous CPU first, then lowest number.
//     No other load balancing (no newidle balance, no periodic balance).

// SchedNormal is the kernel's SCHED_NORMAL policy number (p->policy).
const SchedNormal = 0

// FairSlice is how long a fair task runs before a waiting fair task of
// smaller vruntime takes the CPU (checked at ticks).
const FairSlice = 3_000_000

// fairAccount is update_curr_fair(): d ns of running.
func (m *Machine) fairAccount(c *CPU, t *Task, d uint64) {
	c.Stats.Fair += d
	t.fairRan += d
	t.fairVrt += d * 1024 / uint64(max(t.Weight, 1))
}

// fairTick is task_tick_fair(): past its slice, the running task makes
// way for a waiting task of smaller vruntime.
func (m *Machine) fairTick(c *CPU, t *Task) {
	if t.fairRan >= FairSlice && len(c.fairq) > 0 && c.fairq[0].fairVrt < t.fairVrt {
		m.resched(c.ID)
	}
}

// fairLoad is the number of RT and fair tasks running or waiting on c.
func fairLoad(c *CPU) int {
	n := len(c.rtq) + len(c.fairq)
	if cur := c.curr; cur != nil && !cur.onExt() {
		n++
	}
	return n
}

// fairSelectCPU is the placement described above.
func (m *Machine) fairSelectCPU(t *Task) int {
	best := t.cpu
	if !t.Allowed(best) {
		best = t.K.CpusMask.Next(0)
	}
	load := fairLoad(m.cpus[best])
	for _, c := range m.cpus {
		if load == 0 {
			break
		}
		if l := fairLoad(c); t.Allowed(c.ID) && l < load {
			best, load = c.ID, l
		}
	}
	return best
}

// fairActivate is try_to_wake_up() / wake_up_new_task() for a fair task.
func (m *Machine) fairActivate(t *Task, wakeFlags uint64, waker int) {
	cpu := m.fairSelectCPU(t)
	m.setTaskCPU(t, cpu)
	t.state = TaskRunnable
	t.runnableSince = m.now
	c := m.cpus[cpu]
	t.fairVrt = max(t.fairVrt, c.fairMin)
	m.fairEnqueue(c, t)
	if m.obs != nil {
		m.obs.Wakeup(m.now, t, cpu, wakeFlags&WakeFork != 0)
	}
	if c.curr == nil || c.curr.onExt() {
		m.resched(c.ID) // wakeup_preempt(): a lower class runs there
	}
}

// fairEnqueue queues t on c after the tasks of smaller or equal vruntime.
func (m *Machine) fairEnqueue(c *CPU, t *Task) {
	i := 0
	for i < len(c.fairq) && c.fairq[i].fairVrt <= t.fairVrt {
		i++
	}
	c.fairq = append(c.fairq, nil)
	copy(c.fairq[i+1:], c.fairq[i:])
	c.fairq[i] = t
}

// pickFair is the fair class's part of __schedule() on c. higher is the
// RT task the RT class picked, if any: a still-running fair prev then goes
// back to the queue. Otherwise it returns the fair task to run (prev
// again if it stays), or nil when the fair class has nothing.
func (m *Machine) pickFair(c *CPU, prev, higher *Task) *Task {
	prevFair := prev != nil && prev.class == ClassFair && prev.state == TaskRunning
	if prevFair {
		c.fairMin = max(c.fairMin, min(prev.fairVrt, m.fairHeadVrt(c, prev.fairVrt)))
	} else if len(c.fairq) > 0 {
		c.fairMin = max(c.fairMin, c.fairq[0].fairVrt)
	}
	if higher != nil {
		if prevFair {
			m.fairPut(c, prev)
		}
		return higher
	}
	if prevFair {
		if len(c.fairq) == 0 || prev.fairRan < FairSlice || c.fairq[0].fairVrt >= prev.fairVrt {
			if prev.fairRan >= FairSlice {
				prev.fairRan = 0
			}
			return prev
		}
		m.fairPut(c, prev)
	}
	if len(c.fairq) == 0 {
		return nil
	}
	next := c.fairq[0]
	c.fairq = c.fairq[1:]
	next.fairRan = 0
	return next
}

func (m *Machine) fairHeadVrt(c *CPU, dflt uint64) uint64 {
	if len(c.fairq) > 0 {
		return c.fairq[0].fairVrt
	}
	return dflt
}

// fairPut is put_prev_task_fair() for a still-runnable task.
func (m *Machine) fairPut(c *CPU, t *Task) {
	t.state = TaskRunnable
	t.runnableSince = m.now
	m.fairEnqueue(c, t)
}

// FairQueued returns the fair tasks waiting on the CPU, smallest vruntime
// first (not the running one).
func (c *CPU) FairQueued() []*Task { return c.fairq }
