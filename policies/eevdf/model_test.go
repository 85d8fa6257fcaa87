package eevdf_test

import (
	"fmt"
	"math/bits"

	"github.com/schedsim/schedsim/sim"
)

// Model is the Go reference model of eevdf.bpf.c: the same algorithm with
// the same integer arithmetic (u64/s64 wraparound, truncating signed
// division), the same tie-breaking and the same kfunc calls in the same
// order, so that with free scheduler code the BPF policy and the model
// produce the same schedule.
//
// Its data structure differs on purpose: a runqueue's waiting entities are
// an unordered slice and a pick scans it for the eligible entity with the
// smallest (deadline, seq). The BPF program's two trees must find the same
// entity; the differential tests check that they do.
type Model struct {
	sim.NopScheduler

	// Parameters, as the BPF program's [policy.params].
	BaseSliceNs      uint64
	TickNs           uint64
	RunToParity      bool
	PlaceLag         bool
	WakeupPreemption bool
	NewidleBalance   bool
	IdleKick         bool
	BalanceTicks     uint32
	DelayDequeue     bool
	PlaceRelDeadline bool

	k         *sim.Kernel
	baseSlice uint64 // sysctl_base_slice
	nrCPUs    int32
	tasks     map[int32]*entity // lookups only, never iterated
	rqs       []*runqueue
	idle      []uint64 // idle_cpus: CPUs whose dispatch found nothing
	Stats     modelStats
}

type modelStats struct {
	Picks, Keeps, ParityKeeps, TickPreempts, WakeupPreempts, RemotePreempts, Pulls uint64
	BalancePulls, BalancePreempts                                                  uint64
	IdleKicks, TickKicks, WentIdle, IdleWaiting, Pinned, InFlight, EnqueuePicked   uint64
	Delayed                                                                        uint64
}

type seState uint8

const (
	seNone seState = iota
	sePlaced
	seQueued
	seCurr
	seDelayed
)

// entity is struct task_ctx.
type entity struct {
	t              *sim.Task
	pid            int32
	vruntime       uint64
	deadline       uint64
	lag            int64
	weight         uint32
	cpu            int32
	slice          uint64
	execStart      uint64
	sumExec        uint64
	vlag           int64
	pickedDeadline uint64
	seq            uint64
	state          seState
	isNew          bool
	requeued       bool // woke while delayed (SE_REQUEUED)
	onCPU          bool // between Running and Stopping
}

// runqueue is struct eevdf_rq.
type runqueue struct {
	zero        uint64
	avgVruntime int64
	avgLoad     int64
	seq         uint64
	curr        *entity
	nrRunning   uint32
	queued      []*entity
	resched     bool
	ticks       uint32
	skipQ       uint32 // newidle redo: skip runqueues ranked up to
	skipCPU     int32  // (skipQ, skipCPU-1); 0: none
}

// NewModel returns the model with the BPF program's default parameters.
func NewModel() *Model {
	return &Model{BaseSliceNs: 700000, TickNs: 1000000, RunToParity: true, PlaceLag: true,
		WakeupPreemption: true, NewidleBalance: true, IdleKick: true, BalanceTicks: 4}
}

var prioToWeight = sim.NiceToWeight

const nice0Load = 1024

func prioWeight(staticPrio int32) uint32 {
	idx := staticPrio - 100
	if idx < 0 || idx >= 40 {
		return nice0Load
	}
	return prioToWeight[idx]
}

func calcDeltaFair(delta uint64, w uint32) uint64 {
	if w == nice0Load || w == 0 {
		return delta
	}
	return delta * nice0Load / uint64(w)
}

func (m *Model) Ops() sim.Ops {
	return sim.Ops{Name: "eevdf", Implements: sim.CbSelectCPU | sim.CbEnqueue | sim.CbDispatch | sim.CbTick |
		sim.CbRunnable | sim.CbRunning | sim.CbStopping | sim.CbQuiescent | sim.CbSetWeight |
		sim.CbInitTask | sim.CbExitTask | sim.CbInit}
}

func (m *Model) Init(k *sim.Kernel) error {
	m.k = k
	n := k.NrCPUIDs()
	if n > 512 {
		return fmt.Errorf("eevdf: %d CPUs, at most 512", n)
	}
	m.nrCPUs = int32(n)
	n = min(n, 8)
	factor := uint64(1)
	for _, b := range []uint32{2, 4, 8} {
		if n >= b {
			factor++
		}
	}
	m.baseSlice = m.BaseSliceNs * factor
	m.tasks = make(map[int32]*entity)
	m.rqs = make([]*runqueue, n0(m.nrCPUs))
	m.idle = make([]uint64, (n0(m.nrCPUs)+63)/64)
	for i := range m.rqs {
		m.rqs[i] = &runqueue{zero: zeroInit}
	}
	return nil
}

func n0(n int32) int { return int(max(n, 0)) }

func (m *Model) errorf(format string, args ...any) { m.k.Error(fmt.Sprintf(format, args...)) }

// ---- virtual time ----

func (m *Model) sums(rq *runqueue) (avg, load int64) {
	avg, load = rq.avgVruntime, rq.avgLoad
	if c := rq.curr; c != nil {
		avg += int64(c.vruntime-rq.zero) * int64(c.weight)
		load += int64(c.weight)
	}
	return
}

func (m *Model) avgVruntime(rq *runqueue) uint64 {
	avg, load := m.sums(rq)
	if load != 0 {
		if avg < 0 {
			avg -= load - 1
		}
		avg /= load
	}
	return rq.zero + uint64(avg)
}

func (m *Model) eligible(rq *runqueue, v uint64) bool {
	avg, load := m.sums(rq)
	return avg >= int64(v-rq.zero)*load
}

func (m *Model) updateZero(rq *runqueue) {
	v := m.avgVruntime(rq)
	delta := int64(v - rq.zero)
	rq.avgVruntime -= rq.avgLoad * delta
	rq.zero = v
}

func (m *Model) avgAdd(rq *runqueue, se *entity) {
	rq.avgVruntime += int64(se.vruntime-rq.zero) * int64(se.weight)
	rq.avgLoad += int64(se.weight)
}

func (m *Model) avgSub(rq *runqueue, se *entity) {
	rq.avgVruntime -= int64(se.vruntime-rq.zero) * int64(se.weight)
	rq.avgLoad -= int64(se.weight)
}

func (m *Model) updateCurr(rq *runqueue) bool {
	c := rq.curr
	if c == nil {
		return false
	}
	now := m.k.Now()
	delta := int64(now - c.execStart)
	if delta <= 0 {
		return false
	}
	c.execStart = now
	c.sumExec += uint64(delta)
	c.vruntime += calcDeltaFair(uint64(delta), c.weight)
	resched := false
	if int64(c.vruntime-c.deadline) >= 0 {
		c.slice = m.baseSlice
		c.deadline = c.vruntime + calcDeltaFair(c.slice, c.weight)
		resched = rq.nrRunning > 1
	}
	c.lag = int64(m.avgVruntime(rq) - c.vruntime)
	return resched
}

func (m *Model) updateEntityLag(rq *runqueue, se *entity) {
	lag := int64(m.avgVruntime(rq) - se.vruntime)
	limit := int64(calcDeltaFair(max(2*se.slice, m.TickNs), se.weight))
	if lag > limit {
		lag = limit
	} else if lag < -limit {
		lag = -limit
	}
	se.vlag = lag
	se.lag = lag
}

func (m *Model) placeEntity(rq *runqueue, se *entity, initial bool) {
	v := m.avgVruntime(rq)
	se.slice = m.baseSlice
	vslice := calcDeltaFair(se.slice, se.weight)
	var lag int64
	if m.PlaceLag && rq.nrRunning != 0 {
		load := rq.avgLoad
		if rq.curr != nil {
			load += int64(rq.curr.weight)
		}
		lag = se.vlag
		lag *= load + int64(se.weight)
		if load == 0 {
			load = 1
		}
		lag /= load
	}
	se.vruntime = v - uint64(lag)
	se.lag = lag
	if initial {
		vslice /= 2
	}
	se.deadline = se.vruntime + vslice
}

// enqueueTree is enqueue_tree(): into the sums and the waiting set.
func (m *Model) enqueueTree(rq *runqueue, se *entity) {
	m.avgAdd(rq, se)
	m.updateZero(rq)
	rq.seq++
	se.seq = rq.seq
	se.state = seQueued
	rq.queued = append(rq.queued, se)
}

func (rq *runqueue) remove(se *entity) {
	for i, e := range rq.queued {
		if e == se {
			rq.queued = append(rq.queued[:i], rq.queued[i+1:]...)
			return
		}
	}
}

// dequeueSums is dequeue_sums() plus the node's removal.
func (m *Model) dequeueSums(rq *runqueue, se *entity) {
	rq.remove(se)
	m.avgSub(rq, se)
	m.updateZero(rq)
}

// ---- pick ----

func dlBefore(a, b *entity) bool {
	d := int64(a.deadline - b.deadline)
	return d < 0 || (d == 0 && a.seq < b.seq)
}

func vrBefore(a, b *entity) bool {
	d := int64(a.vruntime - b.vruntime)
	return d < 0 || (d == 0 && a.seq < b.seq)
}

// earliestEligible is the eligible waiting entity with the smallest
// (deadline, seq), or nil.
func (m *Model) earliestEligible(rq *runqueue) *entity {
	var best *entity
	for _, e := range rq.queued {
		if m.eligible(rq, e.vruntime) && (best == nil || dlBefore(e, best)) {
			best = e
		}
	}
	return best
}

// minVruntime is the waiting entity with the smallest (vruntime, seq).
func (m *Model) minVruntime(rq *runqueue) *entity {
	var best *entity
	for _, e := range rq.queued {
		if best == nil || vrBefore(e, best) {
			best = e
		}
	}
	return best
}

func (m *Model) pick(rq *runqueue) (best *entity, parity bool) {
	if rq.nrRunning == 1 {
		if rq.curr != nil {
			return rq.curr, false
		}
		return m.minVruntime(rq), false
	}
	cand := rq.curr
	if cand != nil && !m.eligible(rq, cand.vruntime) {
		cand = nil
	}
	if m.RunToParity && cand != nil && cand.pickedDeadline == cand.deadline {
		return rq.curr, true
	}
	e := m.earliestEligible(rq)
	if e == nil {
		if cand != nil {
			return rq.curr, false
		}
		return m.minVruntime(rq), false
	}
	if cand != nil && int64(cand.deadline-e.deadline) < 0 {
		return rq.curr, false
	}
	return e, false
}

// ---- balancing ----

// waiting is rq_waiting(): the queued entities that wait behind another,
// that is all of them if the runqueue has a curr, else all but the one its
// CPU, rescheduling, is about to pick.
func (rq *runqueue) waiting() uint32 {
	n := uint32(len(rq.queued))
	if n > 0 && rq.curr == nil {
		n--
	}
	return n
}

// kicksOn is kick_idle(): idle CPUs are tracked and kicked to pull.
func (m *Model) kicksOn() bool { return m.NewidleBalance && m.IdleKick }

func (m *Model) idleTest(cpu int32) bool { return m.idle[cpu>>6]>>(cpu&63)&1 != 0 }

// idleEnter and idleExit are idle_enter() and idle_exit().
func (m *Model) idleEnter(cpu int32) { m.idle[cpu>>6] |= 1 << (cpu & 63) }
func (m *Model) idleExit(cpu int32)  { m.idle[cpu>>6] &^= 1 << (cpu & 63) }

// claimIdle is claim_idle(): the lowest idle CPU that p may run on (any,
// if p is nil), taken out of the idle set, or -1.
func (m *Model) claimIdle(p *sim.Task) int32 {
	for w := range m.idle {
		free := m.idle[w]
		if p != nil {
			free &= p.K.CpusMask.Bits[w]
		}
		if free == 0 {
			continue
		}
		b := free & -free
		m.idle[w] &^= b
		return int32(w*64 + bits.TrailingZeros64(b))
	}
	return -1
}

// anyWaiting reports whether a runqueue other than cpu's has a waiting
// entity (the overloaded mask is not empty, cpu excluded).
func (m *Model) anyWaiting(cpu int32) bool {
	for c, rq := range m.rqs {
		if int32(c) != cpu && rq.waiting() > 0 {
			return true
		}
	}
	return false
}

const (
	pullOK = iota
	pullPinned
	pullFail
)

// findBusiest is find_busiest(): the runqueue with a waiting entity and
// the largest q (waiting entities, or nr_running for the periodic
// balance), lowest CPU first, among those ranked after (prevQ, prevCPU).
func (m *Model) findBusiest(cpu int32, periodic bool, prevQ uint32, prevCPU int32) (src int32, best uint32) {
	src = -1
	for c := int32(0); c < m.nrCPUs; c++ {
		r := m.rqs[c]
		if c == cpu || r.waiting() == 0 {
			continue
		}
		q := r.waiting()
		if periodic {
			q = r.nrRunning
		}
		if q > prevQ || q == prevQ && c <= prevCPU {
			continue
		}
		if q > best {
			best, src = q, c
		}
	}
	return src, best
}

// pull is pull_task(): newidle or periodic balance into runqueue cpu,
// from the busiest runqueue ranked after (prevQ, prevCPU). It returns
// pullOK, pullPinned (src's choice may not run here; src and q say which
// runqueue) or pullFail.
func (m *Model) pull(cpu int32, periodic bool, prevQ uint32, prevCPU int32) (res int, preempt bool, src int32, q uint32) {
	var mine uint32
	if periodic {
		mine = m.rqs[cpu].nrRunning
	}
	src, best := m.findBusiest(cpu, periodic, prevQ, prevCPU)
	if src < 0 || (periodic && best < mine+2) {
		return pullFail, false, src, best
	}
	s, d := m.rqs[src], m.rqs[cpu]
	reschedSrc := false
	res = pullFail
	func() {
		if s.waiting() == 0 {
			return
		}
		if periodic && s.nrRunning < d.nrRunning+2 || !periodic && d.nrRunning != 0 {
			return
		}
		if m.updateCurr(s) && !s.resched {
			s.resched = true
			reschedSrc = true
		}
		x := m.earliestEligible(s)
		if x == nil {
			x = m.minVruntime(s)
		}
		if x == nil || x.onCPU || x.state == seDelayed {
			return
		}
		if !x.t.Allowed(int(cpu)) {
			res = pullPinned
			return
		}
		m.updateEntityLag(s, x)
		rel := x.deadline - x.vruntime
		m.dequeueSums(s, x)
		s.nrRunning--
		if m.updateCurr(d) && !d.resched {
			d.resched = true
			preempt = true
		}
		m.placeEntity(d, x, false)
		if m.PlaceRelDeadline {
			x.deadline = x.vruntime + rel
		}
		d.nrRunning++
		x.cpu = cpu
		m.enqueueTree(d, x)
		res = pullOK
		if d.curr != nil && !d.resched && m.WakeupPreemption {
			if m.updateCurr(d) {
				d.resched, preempt = true, true
			} else if b, _ := m.pick(d); b == x {
				d.resched, preempt = true, true
			}
		}
	}()
	if res == pullOK {
		if periodic {
			m.Stats.BalancePulls++
		} else {
			m.Stats.Pulls++
		}
	}
	if reschedSrc {
		m.Stats.RemotePreempts++
		m.k.KickCPU(src, sim.KickPreempt)
	}
	return res, preempt, src, best
}

// ---- callbacks ----

func (m *Model) SelectCPU(p *sim.Task, prev int32, wakeFlags uint64) int32 {
	if c := m.tasks[p.PID]; m.DelayDequeue && c != nil && c.state == seDelayed {
		return c.cpu
	}
	cpu, idle := m.k.SelectCPUDfl(p, prev, wakeFlags)
	if idle && m.kicksOn() && cpu >= 0 && cpu < m.nrCPUs && m.idleTest(cpu) {
		m.idleExit(cpu)
	}
	return cpu
}

func (m *Model) Runnable(p *sim.Task, enqFlags uint64) {
	cpu := m.k.TaskCPU(p)
	c := m.tasks[p.PID]
	if c == nil || cpu < 0 || cpu >= m.nrCPUs {
		m.errorf("runnable: no context for %d or runqueue %d", p.PID, cpu)
		return
	}
	rq := m.rqs[cpu]
	resched := m.updateCurr(rq)
	bad := false
	if c.state == seDelayed && c.cpu == cpu {
		m.updateEntityLag(rq, c)
		if c.vlag > 0 {
			m.dequeueSums(rq, c)
			c.vlag = 0
			m.placeEntity(rq, c, false)
			c.state = sePlaced
		} else {
			c.state = seQueued
			c.requeued = true
		}
	} else if c.state != seNone {
		bad = true
	} else {
		m.placeEntity(rq, c, c.isNew)
		c.isNew = false
		c.cpu = cpu
		c.state = sePlaced
		rq.nrRunning++
	}
	if resched && !rq.resched {
		rq.resched = true
	} else {
		resched = false
	}
	if bad {
		m.errorf("runnable: task %d is already on a runqueue", p.PID)
	}
	if resched {
		m.Stats.RemotePreempts++
		m.k.KickCPU(cpu, sim.KickPreempt)
	}
}

func (m *Model) Enqueue(p *sim.Task, enqFlags uint64) {
	c := m.tasks[p.PID]
	if c == nil {
		m.errorf("enqueue: no context for %d", p.PID)
		return
	}
	cpu := c.cpu
	var wakeup bool
	requeued := c.state == seQueued && c.requeued
	if requeued {
		c.requeued = false
		wakeup = true
	} else if c.state == seQueued {
		return
	}
	rq := m.rqs[cpu]
	if !requeued {
		if c.state == seCurr && cpu != int32(m.k.CPU()) {
			m.Stats.EnqueuePicked++
			return
		}
		switch {
		case c.state == seCurr && rq.curr == c:
			m.updateCurr(rq)
			rq.curr = nil
		case c.state == sePlaced:
			wakeup = true
		default:
			m.errorf("enqueue: task %d in state %d", p.PID, c.state)
			return
		}
		m.enqueueTree(rq, c)
	}
	busy := rq.curr != nil || len(rq.queued) > 1
	kick := false
	if wakeup && m.WakeupPreemption && rq.curr != nil && !rq.resched {
		if m.updateCurr(rq) {
			kick = true
		} else {
			b, _ := m.pick(rq)
			kick = b == c
		}
		if kick {
			rq.resched = true
		}
	}
	if kick {
		m.Stats.WakeupPreempts++
		m.k.KickCPU(cpu, sim.KickPreempt)
	}
	if wakeup && busy && m.kicksOn() {
		if t := m.claimIdle(p); t >= 0 {
			m.Stats.IdleKicks++
			m.k.KickCPU(t, sim.KickIdle)
		}
	}
}

func (m *Model) Dispatch(cpu int32, prev *sim.Task) {
	pulled := false
	for {
		if cpu < 0 || cpu >= m.nrCPUs {
			m.errorf("dispatch: no runqueue %d", cpu)
			return
		}
		rq := m.rqs[cpu]
		if rq.curr != nil && (prev == nil || prev.PID != rq.curr.pid) {
			m.Stats.InFlight++
			return
		}
		rq.resched = false
		m.updateCurr(rq)
		x, parity := m.pick(rq)
		for m.DelayDequeue && x != nil && x != rq.curr && x.state == seDelayed {
			// pick_next_entity(): a delayed entity picked leaves now
			m.updateEntityLag(rq, x)
			m.dequeueSums(rq, x)
			if x.vlag > 0 {
				x.vlag, x.lag = 0, 0
			}
			rq.nrRunning--
			x.state = seNone
			x, parity = m.pick(rq)
		}
		if x == nil {
			if m.NewidleBalance && !pulled {
				if m.kicksOn() && !m.idleTest(cpu) {
					m.idleEnter(cpu)
				}
				prevQ, prevCPU := ^uint32(0), int32(-1)
				if rq.skipCPU != 0 {
					prevQ, prevCPU = rq.skipQ, rq.skipCPU-1
				}
				switch res, _, src, q := m.pull(cpu, false, prevQ, prevCPU); res {
				case pullOK:
					rq.skipCPU = 0
					pulled = true
					continue
				case pullPinned:
					m.Stats.Pinned++
					rq.skipQ, rq.skipCPU = q, src+1
					m.k.KickCPU(cpu, 0)
				default:
					rq.skipCPU = 0
				}
			}
			m.Stats.WentIdle++
			if m.kicksOn() && m.anyWaiting(cpu) {
				m.Stats.IdleWaiting++
			}
			return
		}
		if m.kicksOn() && m.idleTest(cpu) {
			m.idleExit(cpu)
		}
		rq.skipCPU = 0
		if x == rq.curr {
			m.Stats.Keeps++
			if parity {
				m.Stats.ParityKeeps++
			}
			if prev == nil || prev.PID != x.pid {
				m.errorf("dispatch: curr %d is not prev", x.pid)
				return
			}
			prev.K.Scx.Slice = sim.SliceInf
			return
		}
		if curr := rq.curr; curr != nil {
			rq.curr = nil
			m.enqueueTree(rq, curr)
		}
		m.dequeueSums(rq, x)
		x.state = seCurr
		x.execStart = m.k.Now()
		x.pickedDeadline = x.deadline
		rq.curr = x
		x.lag = int64(m.avgVruntime(rq) - x.vruntime)
		m.Stats.Picks++
		p := m.k.TaskByPID(x.pid)
		if p == nil {
			m.errorf("dispatch: no task %d", x.pid)
			return
		}
		m.k.DSQInsert(p, sim.DSQLocal, sim.SliceInf, 0)
		return
	}
}

func (m *Model) Tick(p *sim.Task) {
	c := m.tasks[p.PID]
	if c == nil || c.cpu < 0 || c.cpu >= m.nrCPUs {
		return
	}
	rq := m.rqs[c.cpu]
	resched, balance, ours := false, false, false
	if rq.curr == c {
		ours = true
		resched = m.updateCurr(rq)
		if resched {
			rq.resched = true
		}
		rq.ticks++
		balance = m.BalanceTicks != 0 && rq.ticks%m.BalanceTicks == 0
	}
	if resched {
		m.Stats.TickPreempts++
		p.K.Scx.Slice = 0
	} else if balance {
		if res, preempt, _, _ := m.pull(c.cpu, true, ^uint32(0), -1); res == pullOK && preempt {
			m.Stats.BalancePreempts++
			p.K.Scx.Slice = 0
		}
	}
	// nohz_balancer_kick(): tasks wait here while a CPU is idle.
	if ours && m.kicksOn() && len(rq.queued) > 0 {
		if t := m.claimIdle(nil); t >= 0 {
			m.Stats.TickKicks++
			m.k.KickCPU(t, sim.KickIdle)
		}
	}
}

func (m *Model) Running(p *sim.Task) {
	c := m.tasks[p.PID]
	if c == nil || c.state != seCurr {
		m.errorf("running: task %d was not picked by eevdf", p.PID)
		return
	}
	c.onCPU = true
}

func (m *Model) Stopping(p *sim.Task, runnable bool) {
	c := m.tasks[p.PID]
	if c == nil || c.cpu < 0 || c.cpu >= m.nrCPUs {
		return
	}
	c.onCPU = false
	if rq := m.rqs[c.cpu]; rq.curr == c {
		m.updateCurr(rq)
	}
}

func (m *Model) Quiescent(p *sim.Task, deqFlags uint64) {
	c := m.tasks[p.PID]
	if c == nil || c.cpu < 0 || c.cpu >= m.nrCPUs {
		return
	}
	cpu := c.cpu
	rq := m.rqs[cpu]
	resched := false
	delay := m.DelayDequeue && deqFlags&sim.DeqSleep != 0 && p.K.Flags&sim.PFExiting == 0 && c.state == seCurr
	switch {
	case c.state == seCurr && rq.curr == c:
		m.updateCurr(rq)
		if delay && !m.eligible(rq, c.vruntime) {
			// DELAY_DEQUEUE: it stays, asleep, until picked
			rq.curr = nil
			m.enqueueTree(rq, c)
			c.state = seDelayed
			m.Stats.Delayed++
			return
		}
		m.updateEntityLag(rq, c)
		rq.curr = nil
	case c.state == seQueued:
		resched = m.updateCurr(rq)
		m.updateEntityLag(rq, c)
		m.dequeueSums(rq, c)
	}
	if c.state != seNone {
		rq.nrRunning--
	}
	c.state = seNone
	if resched && !rq.resched {
		rq.resched = true
	} else {
		resched = false
	}
	if resched {
		m.Stats.RemotePreempts++
		m.k.KickCPU(cpu, sim.KickPreempt)
	}
}

func (m *Model) SetWeight(p *sim.Task, weight uint32) {
	c := m.tasks[p.PID]
	nw := prioWeight(p.K.StaticPrio)
	if c == nil || c.weight == nw {
		return
	}
	old := c.weight
	if c.state == seNone || c.state == sePlaced {
		c.vlag = c.vlag * int64(old) / int64(nw)
		c.lag = c.vlag
		c.weight = nw
		return
	}
	cpu := c.cpu
	rq := m.rqs[cpu]
	resched := m.updateCurr(rq)
	delayed := c.state == seDelayed
	queued := c.state == seQueued || delayed
	if queued {
		m.dequeueSums(rq, c)
	}
	v := m.avgVruntime(rq)
	if v != c.vruntime {
		d := int64(v - c.vruntime)
		d = d * int64(old) / int64(nw)
		c.vruntime = v - uint64(d)
	}
	d := int64(c.deadline - v)
	d = d * int64(old) / int64(nw)
	c.deadline = v + uint64(d)
	c.weight = nw
	if queued {
		m.enqueueTree(rq, c)
		if delayed {
			c.state = seDelayed
		}
	}
	if resched && !rq.resched {
		rq.resched = true
	} else {
		resched = false
	}
	if resched {
		m.Stats.RemotePreempts++
		m.k.KickCPU(cpu, sim.KickPreempt)
	}
}

func (m *Model) InitTask(p *sim.Task, args sim.InitTaskArgs) int32 {
	if _, dup := m.tasks[p.PID]; dup {
		return -12
	}
	m.tasks[p.PID] = &entity{t: p, pid: p.PID, weight: prioWeight(p.K.StaticPrio), isNew: true,
		cpu: m.k.TaskCPU(p), slice: m.baseSlice}
	return 0
}

func (m *Model) ExitTask(p *sim.Task, args sim.ExitTaskArgs) { delete(m.tasks, p.PID) }

// state returns the model's view of task pid, for the property tests.
func (m *Model) state(pid int32) (*entity, bool) {
	e, ok := m.tasks[pid]
	return e, ok
}

// zeroInit is init_cfs_rq()'s starting point, -(1 << 20) as a u64.
var zeroInit = func() uint64 { v := int64(1) << 20; return uint64(-v) }()
