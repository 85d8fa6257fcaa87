package sim

import (
	"errors"
	"iter"
)

// Interleaving (Params.Interleave): callbacks of different CPUs overlap in
// simulated time. Each CPU's kernel paths (a burst ending, a tick, a
// wakeup, a reschedule, a timer) run in a coroutine of that CPU; a policy's
// callback may suspend it mid-way (Kernel.Yield, Kernel.Block) and the
// event loop resumes it later, after other CPUs' events. Events for a CPU
// whose path is suspended wait until the path completes, as interrupts
// wait on a CPU spinning with interrupts off.
//
// The coroutines are iter.Pull's: control passes by strict hand-off, one
// runs at a time, so the schedule stays a pure function of config and seed
// (docs/architecture.md, RATIONALE).

type coStatus uint8

const (
	coDone coStatus = iota
	coSuspended
)

var errCoStop = errors.New("sim: coroutine stopped")

type coro struct {
	next  func() (coStatus, bool)
	stop  func()
	yield func(coStatus) bool
	work  func()

	busy      bool   // a path is in progress (maybe suspended)
	suspended bool   // the path is suspended
	timed     bool   // a resume event is pending
	start     uint64 // when the path started
	saved     cbctx
	deferred  []event
}

func (m *Machine) newCoro() *coro {
	co := &coro{}
	co.next, co.stop = iter.Pull(func(yield func(coStatus) bool) {
		co.yield = yield
		defer func() {
			if r := recover(); r != nil && r != errCoStop { //nolint:errorlint
				panic(r)
			}
		}()
		for {
			co.work()
			if !yield(coDone) {
				return
			}
		}
	})
	return co
}

// eventCPU is the CPU whose kernel path an event runs, or -1.
func (m *Machine) eventCPU(e event) int {
	switch e.kind {
	case evWake:
		return e.task.cpu
	case evWatchdog, evEnd:
		return -1
	}
	return int(e.cpu)
}

func (m *Machine) stepInterleaved(e event) {
	if e.kind == evResume {
		c := m.cpus[e.cpu]
		c.co.timed = false
		if c.co.suspended {
			m.continuePath(c)
		}
		return
	}
	cpu := m.eventCPU(e)
	if cpu < 0 {
		m.cur = cbctx{cpu: 0}
		m.handle(e)
		return
	}
	c := m.cpus[cpu]
	if c.co.busy {
		c.co.deferred = append(c.co.deferred, e)
		return
	}
	m.startPath(c, e)
}

func (m *Machine) startPath(c *CPU, e event) {
	co := c.co
	co.busy = true
	co.start = m.now
	if c.curr != nil {
		m.account(c)
	}
	co.work = func() {
		m.cur = cbctx{cpu: c.ID}
		m.handle(e)
	}
	m.cur = cbctx{cpu: c.ID}
	st, _ := co.next()
	m.afterPath(c, st)
}

func (m *Machine) continuePath(c *CPU) {
	co := c.co
	co.suspended = false
	m.cur = co.saved
	st, _ := co.next()
	m.afterPath(c, st)
}

func (m *Machine) afterPath(c *CPU, st coStatus) {
	co := c.co
	if st == coSuspended {
		co.suspended = true
		return
	}
	co.busy = false
	// The CPU ran scheduler code from co.start to now: the task on it
	// progresses from now on.
	if d := m.now - co.start; d > 0 {
		c.Stats.Sched += d
		if t := c.curr; t != nil {
			t.lastAcct = max(t.lastAcct, m.now)
			t.runStart = max(t.runStart, m.now)
			m.armCompletion(c)
		}
	}
	if len(co.deferred) > 0 {
		e := co.deferred[0]
		co.deferred = co.deferred[1:]
		m.startPath(c, e)
	}
}

// suspend parks the current path of the current CPU; it returns when the
// event loop resumes it.
func (m *Machine) suspend() {
	c := m.cpus[m.cur.cpu]
	co := c.co
	if co == nil || !co.busy {
		panic("sim: suspend outside an interleaved kernel path")
	}
	co.saved = m.cur
	if !co.yield(coSuspended) {
		panic(errCoStop)
	}
	m.cur = co.saved
}

// Interleaving reports whether callbacks may suspend (Params.Interleave).
func (k *Kernel) Interleaving() bool { return k.m.P.Interleave }

// CanSuspend reports whether the callback in progress runs inside a CPU's
// kernel path that can be suspended: interleaving is on and this is not
// set-up work outside the event loop (ops.init, tasks created before Run).
func (k *Kernel) CanSuspend() bool {
	m := k.m
	if !m.P.Interleave || m.disabling || m.cur.cpu < 0 || m.cur.cpu >= len(m.cpus) {
		return false
	}
	co := m.cpus[m.cur.cpu].co
	return co != nil && co.busy && !co.suspended
}

// Yield suspends the callback in progress for d ns of simulated time (the
// time its code took): other CPUs' events run meanwhile. With d = 0 it is
// a pure interleaving point. Only with Params.Interleave.
func (k *Kernel) Yield(d uint64) {
	m := k.m
	c := m.cpus[m.cur.cpu]
	c.co.timed = true
	m.cur.cost += d
	m.push(event{at: m.now + d, kind: evResume, cpu: int32(c.ID)})
	m.suspend()
}

// Block suspends the callback in progress until Unblock(cpu) (a lock
// hand-off). The CPU spins meanwhile. Only with Params.Interleave.
func (k *Kernel) Block() { k.m.suspend() }

// Unblock resumes the blocked callback of cpu after d ns.
func (k *Kernel) Unblock(cpu int, d uint64) { k.m.unblock(cpu, d) }

func (m *Machine) unblock(cpu int, d uint64) {
	c := m.cpus[cpu]
	if c.co == nil || !c.co.suspended || c.co.timed {
		return
	}
	c.co.timed = true
	m.push(event{at: m.now + d, kind: evResume, cpu: int32(cpu)})
}

// Suspended reports whether cpu's kernel path is suspended in a callback.
func (k *Kernel) Suspended(cpu int) bool {
	c := k.m.cpus[cpu]
	return c.co != nil && c.co.suspended
}

func (m *Machine) stopCoroutines() {
	for _, c := range m.cpus {
		if c.co != nil {
			c.co.stop()
		}
	}
}
