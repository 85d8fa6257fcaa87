package tui

import (
	"github.com/schedsim/schedsim/sim"
)

// Cell kinds of the CPU timeline: what a CPU did during a bucket of time.
// Kinds from kindGroup on are workloads (kindGroup + group index).
const (
	kindIdle  = 0
	kindSched = 1 // scheduler code (callbacks, charged cost)
	kindSpin  = 2 // waiting for a BPF lock
	kindGroup = 3
)

// timelineLen is how many buckets each CPU's timeline keeps.
const timelineLen = 512

// sampleLen is how many machine samples the sparklines keep.
const sampleLen = 256

// maxEvents is how many event lines the events panel keeps.
const maxEvents = 500

// cpuTrack is what the collector follows of one CPU.
type cpuTrack struct {
	since      uint64 // accounted up to here
	base       int    // kindIdle or kindGroup+g of the task running
	schedUntil uint64 // charged scheduler time runs until here
	spin       bool
	spinLock   string
	spinSince  uint64
	spinSite   string

	acc    []uint64 // time per kind in the open bucket
	bucket uint64   // index of the open bucket
	ring   [timelineLen]uint8
	closed uint64 // buckets closed so far are those < closed

	busy      uint64 // ns running a task
	busySince uint64
	running   bool
}

// Sample is one point of the machine panel's sparklines.
type Sample struct {
	At         uint64
	Util       float64 // busy fraction over the sample's span
	Sched      float64 // scheduler-time fraction
	Runnable   int     // tasks queued or running
	SwitchRate float64 // per simulated second
	MigRate    float64
}

// LockStat is the contention of one lock at one acquisition site.
type LockStat struct {
	Name, Site string
	Waits      uint64 // contended acquisitions
	WaitTotal  uint64 // ns
	WaitMax    uint64
}

// Event is one line of the events panel.
type Event struct {
	At   uint64
	CPU  int
	Kind string // printk, deadlock, ejected
	Text string
}

// Collector is the sim.Observer behind the dashboard. It keeps only what
// the panels draw, and does O(1) work per event.
type Collector struct {
	sim.BaseObserver
	m        *sim.Machine
	nGroups  int
	bucketNs uint64
	periodNs uint64

	cpus []cpuTrack

	switches, migrations uint64
	schedNs              uint64

	last       Sample // the previous sample point's counters
	lastSw     uint64
	lastMig    uint64
	lastBusy   uint64
	lastSched  uint64
	nextSample uint64
	samples    []Sample // ring
	nSamples   int

	wokeAt   []uint64 // by PID: when the pending wakeup began (0: none)
	wake     liveHist
	requests []liveHist

	locks    []LockStat
	lockIdx  map[[2]string]int
	events   []Event // ring
	nEvents  int
	ejection string
}

// NewCollector returns a collector whose timeline buckets are bucketNs
// wide and whose sparklines take a sample every periodNs. Attach it to
// its machine before the run starts.
func NewCollector(bucketNs, periodNs uint64) *Collector {
	c := &Collector{bucketNs: max(bucketNs, 1), periodNs: max(periodNs, 1),
		samples: make([]Sample, sampleLen), lockIdx: map[[2]string]int{}, events: make([]Event, maxEvents)}
	c.nextSample = c.periodNs
	return c
}

// Attach sizes the collector for m and its ngroups workloads. Events
// before it (ops.init) are not about CPUs or workloads.
func (c *Collector) Attach(m *sim.Machine, ngroups int) {
	c.m, c.nGroups = m, ngroups
	c.cpus = make([]cpuTrack, len(m.CPUs()))
	c.requests = make([]liveHist, ngroups)
	for i := range c.cpus {
		c.cpus[i].acc = make([]uint64, kindGroup+ngroups)
	}
}

func (c *Collector) kindOf(t *sim.Task) int {
	if t == nil || t.Group < 0 || t.Group >= c.nGroups {
		if t == nil {
			return kindIdle
		}
		return kindSched // a task of no workload: draw it apart from idle
	}
	return kindGroup + t.Group
}

// advance accounts CPU i's time up to at.
func (c *Collector) advance(i int, at uint64) {
	ct := &c.cpus[i]
	// The common case: still in the open bucket, in the base state.
	if at < (ct.bucket+1)*c.bucketNs && !ct.spin && ct.schedUntil <= ct.since {
		if at > ct.since {
			ct.acc[ct.base] += at - ct.since
			ct.since = at
		}
		return
	}
	for ct.since < at {
		end := at
		kind := ct.base
		switch {
		case ct.spin:
			kind = kindSpin
		case ct.schedUntil > ct.since:
			kind = kindSched
			end = min(end, ct.schedUntil)
		}
		bEnd := (ct.bucket + 1) * c.bucketNs
		if end > bEnd {
			end = bEnd
		}
		ct.acc[kind] += end - ct.since
		ct.since = end
		if end == bEnd {
			c.closeBucket(ct, at)
		}
	}
}

// closeBucket ends ct's open bucket: its cell is the kind that took most
// of it. When the CPU stayed in one kind for a long time up to at, the
// buckets in between are filled at once.
func (c *Collector) closeBucket(ct *cpuTrack, at uint64) {
	best, bestNs := 0, uint64(0)
	for k, ns := range ct.acc {
		if ns > bestNs {
			best, bestNs = k, ns
		}
		ct.acc[k] = 0
	}
	ct.ring[ct.bucket%timelineLen] = uint8(best)
	ct.bucket++
	ct.closed = ct.bucket
	// Whole buckets up to at in one kind.
	full := at / c.bucketNs
	if full > ct.bucket && !(ct.schedUntil > ct.since) {
		kind := ct.base
		if ct.spin {
			kind = kindSpin
		}
		n := full - ct.bucket
		start := ct.bucket
		if n > timelineLen {
			start = full - timelineLen
		}
		for b := start; b < full; b++ {
			ct.ring[b%timelineLen] = uint8(kind)
		}
		ct.bucket = full
		ct.closed = full
		ct.since = full * c.bucketNs
	}
}

// Sync accounts every CPU up to at (the snapshot's time) and takes the
// samples that are due.
func (c *Collector) Sync(at uint64) {
	for i := range c.cpus {
		c.advance(i, at)
	}
	c.sample(at)
}

func (c *Collector) sample(at uint64) {
	if at < c.nextSample {
		return
	}
	var busy uint64
	for i := range c.cpus {
		ct := &c.cpus[i]
		busy += ct.busy
		if ct.running {
			busy += at - ct.busySince
		}
	}
	span := at - c.last.At
	s := Sample{At: at}
	if span > 0 {
		cap := float64(span) * float64(len(c.cpus))
		s.Util = float64(busy-c.lastBusy) / cap
		s.Sched = float64(c.schedNs-c.lastSched) / cap
		s.SwitchRate = float64(c.switches-c.lastSw) * 1e9 / float64(span)
		s.MigRate = float64(c.migrations-c.lastMig) * 1e9 / float64(span)
	}
	if c.m != nil {
		for _, t := range c.m.Tasks() {
			if t.Runnable() {
				s.Runnable++
			}
		}
	}
	c.samples[c.nSamples%sampleLen] = s
	c.nSamples++
	c.last, c.lastBusy, c.lastSched, c.lastSw, c.lastMig = s, busy, c.schedNs, c.switches, c.migrations
	c.nextSample = (at/c.periodNs + 1) * c.periodNs
}

func (c *Collector) addEvent(e Event) {
	c.events[c.nEvents%maxEvents] = e
	c.nEvents++
}

// Observer methods.

// WantsPolicy says which policy events the collector uses (so that the
// policy skips preparing the others: per-task counters, lock releases).
func (c *Collector) WantsPolicy(k sim.PolicyEventKind) bool {
	switch k {
	case sim.PolicyLockWait, sim.PolicyLockAcquire, sim.PolicyPrintk, sim.PolicyDeadlock:
		return true
	}
	return false
}

func (c *Collector) Waking(at uint64, t *sim.Task, _ int) {
	for int(t.PID) >= len(c.wokeAt) {
		c.wokeAt = append(c.wokeAt, 0)
	}
	c.wokeAt[t.PID] = at + 1 // 0 means none
}

func (c *Collector) Migrate(uint64, *sim.Task, int, int) { c.migrations++ }

func (c *Collector) Switch(at uint64, cpu int, prev, next *sim.Task) {
	if cpu < 0 || cpu >= len(c.cpus) {
		return
	}
	if at >= c.nextSample {
		c.Sync(at)
	} else {
		c.advance(cpu, at)
	}
	ct := &c.cpus[cpu]
	c.switches++
	ct.base = c.kindOf(next)
	if ct.running {
		ct.busy += at - ct.busySince
	}
	ct.running = next != nil
	ct.busySince = at
	if next != nil && int(next.PID) < len(c.wokeAt) {
		if w := c.wokeAt[next.PID]; w != 0 {
			c.wokeAt[next.PID] = 0
			d := at - (w - 1)
			c.wake.record(d)
		}
	}
}

func (c *Collector) CallbackEnd(at uint64, cpu int, _ sim.Callback, _ *sim.Task, e sim.CallbackEnd) {
	if e.Ns == 0 || cpu < 0 || cpu >= len(c.cpus) {
		return
	}
	c.advance(cpu, at)
	ct := &c.cpus[cpu]
	ct.schedUntil = max(ct.schedUntil, at) + e.Ns
	c.schedNs += e.Ns
}

func (c *Collector) Request(_ uint64, group int, d uint64) {
	if group >= 0 && group < len(c.requests) {
		c.requests[group].record(d)
	}
}

func (c *Collector) Ejected(at uint64, e *sim.Ejection) {
	txt := e.Policy + " ejected: " + e.Info.Reason
	if e.Info.Msg != "" {
		txt += ": " + e.Info.Msg
	}
	c.ejection = txt
	c.addEvent(Event{At: at, CPU: -1, Kind: "ejected", Text: txt})
}

func (c *Collector) Policy(at uint64, cpu int, ev sim.PolicyEvent) {
	switch ev.Kind {
	case sim.PolicyLockWait:
		if cpu >= 0 && cpu < len(c.cpus) {
			c.advance(cpu, at)
			ct := &c.cpus[cpu]
			ct.spin, ct.spinLock, ct.spinSite, ct.spinSince = true, ev.Name, ev.Site, at
		}
	case sim.PolicyLockAcquire:
		if cpu >= 0 && cpu < len(c.cpus) && c.cpus[cpu].spin {
			c.advance(cpu, at)
			ct := &c.cpus[cpu]
			ct.spin = false
			key := [2]string{ct.spinLock, ct.spinSite}
			i, ok := c.lockIdx[key]
			if !ok {
				i = len(c.locks)
				c.lockIdx[key] = i
				c.locks = append(c.locks, LockStat{Name: ct.spinLock, Site: ct.spinSite})
			}
			l := &c.locks[i]
			d := at - ct.spinSince
			l.Waits++
			l.WaitTotal += d
			l.WaitMax = max(l.WaitMax, d)
		}
	case sim.PolicyPrintk:
		c.addEvent(Event{At: at, CPU: cpu, Kind: "printk", Text: ev.Text})
	case sim.PolicyDeadlock:
		c.addEvent(Event{At: at, CPU: cpu, Kind: "deadlock", Text: ev.Text})
	}
}
