package sim

import "math/bits"

// Events are ordered by (time, sequence number): two events at the same
// nanosecond fire in the order they were scheduled. The queue has three
// parts, merged by that order on every pop (see eventQueue):
//
//   - a 4-ary heap of 16-byte values (no per-event allocation), see qent,
//     for events at arbitrary times (wakeup timers, closures);
//   - lanes: FIFOs of events pushed in (time, sequence) order anyway
//     (scheduler ticks fall on period boundaries, reschedules come a fixed
//     delay after now), popped in O(1);
//   - one completion slot per CPU (the burst end of the task it runs),
//     overwritten when the task is re-armed.
//
// The completion slots are the leaves of a winner tree, whose root is their
// minimum; a pop takes the first of that root, the lanes' first head and
// the heap's top.

type eventKind uint8

const (
	evTaskDone eventKind = iota // the running task's current burst ends
	evTick                      // scheduler tick on a CPU
	evWake                      // a sleeping task's timer expires
	evResched                   // a CPU enters the scheduler
	evFunc                      // a closure (workload arrivals, timers)
	evWatchdog                  // sched_ext watchdog scan
	evEnd                       // end of the run
	evResume                    // a suspended callback continues (interleaving)
)

type event struct {
	at   uint64
	seq  uint64
	kind eventKind
	cpu  int32
	gen  uint32
	task *Task
	fn   func()
}

// The heap holds 16-byte entries (at, seq<<slotBits | slot): comparing
// (at, key) orders as (at, seq) does, since sequence numbers are unique.
// The rest of the event waits in payloads[slot]; a 4-ary heap's four
// children then fill one cache line.
type qent struct {
	at  uint64
	key uint64
}

// slotBits bounds the pending events (16 M) and leaves 40 bits of sequence
// number: 1.1e12 events scheduled in one run, days of simulation at the
// simulator's speed. Beyond either, push panics (it cannot order events).
const slotBits = 24

type payload struct {
	cpu  int32
	gen  uint32
	kind eventKind
	task *Task
	fn   func()
}

type eventQueue struct {
	h        []qent
	payloads []payload
	free     []uint32 // free slots of payloads, reused last-freed first

	// The completion slots' winner tree (nil until init: the heap alone):
	// tree[1] is the minimum of the leaves tree[nleaf+i], the completion
	// slot of CPU i; an empty leaf is noEvent. A leaf's key holds the CPU
	// in place of a payload slot.
	tree  *[treeLen]qent
	nleaf int
	comp  []compSlot
	// vacant is 1 + the CPU whose completion popComp took but whose leaf
	// still holds it (0: none): the CPU usually gets its next completion
	// in the same event, which then updates the tree once instead of
	// twice. pop and firstAt empty the leaf first if it did not.
	vacant int
	// The lanes, their heads (noEvent for an empty lane) and the first
	// of them, lane laneBest's.
	lanes    []lane
	heads    [maxLanes]qent // unused lanes' too: noEvent
	laneMin  qent
	laneBest int
	n        int // events in the completion slots and lanes
}

// noEvent is an empty leaf: after every event.
var noEvent = qent{at: ^uint64(0), key: ^uint64(0)}

// compSlot is the pending completion of a CPU (kind evTaskDone); task is
// nil when there is none.
type compSlot struct {
	task *Task
	gen  uint32
}

// A lane is a ring of events pushed in (time, sequence) order.
type lane struct {
	ring    []laneEnt // power-of-two length
	head, n int
	last    qent // the last pushed (at, key)
}

type laneEnt struct {
	x    qent
	cpu  int32
	gen  uint32
	kind eventKind
}

// maxLanes bounds the lanes: popLane takes the minimum of maxLanes heads.
const maxLanes = 5

// init gives the queue ncomp completion slots and nlanes lanes.
func (q *eventQueue) init(ncomp, nlanes int) {
	// Leaves at nleaf..2*nleaf-1, node i's children at 2i and 2i+1: a
	// valid tree for any count (no padding to a power of two, so some
	// leaves are a level nearer the root).
	q.nleaf = max(ncomp, 1)
	if ncomp > NrCPUs {
		panic("sim: event queue: more completion slots than CPUs")
	}
	q.tree = new([treeLen]qent)
	for i := range q.tree {
		q.tree[i] = noEvent
	}
	q.comp = make([]compSlot, ncomp)
	q.lanes = make([]lane, nlanes)
	if nlanes > maxLanes {
		panic("sim: event queue: too many lanes")
	}
	for l := range q.heads {
		q.heads[l] = noEvent
	}
	q.laneMin = noEvent
}

// treeLen is the tree's array: NrCPUs leaves at most. Indexes are
// masked with treeLen-1 (one AND instead of a bounds check).
const treeLen = 2 * NrCPUs

// set stores (at, key) in leaf and recomputes the minima on its path to
// the root, up to the first that does not change. The comparisons are
// less's, on values (registers, not memory).
func (q *eventQueue) set(leaf int, at, key uint64) {
	t := q.tree
	i := q.setLeaf(leaf, at, key)
	for i > 1 {
		at, key = treeMin(t, i, at, key)
		i >>= 1
		p := &t[i&(treeLen-1)]
		if p.at == at && p.key == key {
			return
		}
		p.at, p.key = at, key
	}
}

// setRoot is set for the vacant leaf: its path to the root holds the
// completion popComp took (no other event is before it), and every node
// on it changes, so there is nothing to compare.
func (q *eventQueue) setRoot(leaf int, at, key uint64) {
	t := q.tree
	for i := q.setLeaf(leaf, at, key); i > 1; i >>= 1 {
		at, key = treeMin(t, i, at, key)
		t[(i>>1)&(treeLen-1)] = qent{at: at, key: key}
	}
}

// setLeaf stores (at, key) in leaf and returns its node.
func (q *eventQueue) setLeaf(leaf int, at, key uint64) int {
	i := (q.nleaf + leaf) & (treeLen - 1)
	q.tree[i] = qent{at: at, key: key}
	return i
}

// treeMin is the first of (at, key) and node i's sibling in t, chosen
// without branches.
func treeMin(t *[treeLen]qent, i int, at, key uint64) (uint64, uint64) {
	s := t[(i^1)&(treeLen-1)]
	_, b := bits.Sub64(s.key, key, 0)
	_, b = bits.Sub64(s.at, at, b)
	mask := -b // all ones if s fires first
	return at ^ (at^s.at)&mask, key ^ (key^s.key)&mask
}

// pushLane queues e (sequence number set) in lane l, or in the heap if it
// would come before the lane's last event.
func (q *eventQueue) pushLane(l int, e event) {
	q.pushLaneAt(l, e.at, e.seq, e.kind, e.cpu, e.gen)
}

// pushLaneAt is pushLane with the event's fields as arguments (a lane's
// events have no task or closure).
func (q *eventQueue) pushLaneAt(l int, at, seq uint64, kind eventKind, cpu int32, gen uint32) {
	ln := &q.lanes[l]
	x := qent{at: at, key: seq << slotBits}
	if seq >= 1<<(64-slotBits) || ln.n > 0 && less(&x, &ln.last) != 0 {
		q.push(event{at: at, seq: seq, kind: kind, cpu: cpu, gen: gen})
		return
	}
	if ln.n == len(ln.ring) {
		ring := make([]laneEnt, max(16, 2*len(ln.ring)))
		for i := range ln.n {
			ring[i] = ln.ring[(ln.head+i)&(len(ln.ring)-1)]
		}
		ln.ring, ln.head = ring, 0
	}
	ln.ring[(ln.head+ln.n)&(len(ln.ring)-1)] = laneEnt{x: x, cpu: cpu, gen: gen, kind: kind}
	ln.n++
	ln.last = x
	q.n++
	if ln.n == 1 {
		q.heads[l] = x
		if less(&x, &q.laneMin) != 0 {
			q.laneMin, q.laneBest = x, l
		}
	}
}

// setCompletion makes e (kind evTaskDone, sequence number set) the pending
// completion of CPU e.cpu. The completion it replaces, if any, is returned
// (ok): the caller drops it or pushes it to the heap.
func (q *eventQueue) setCompletion(e event) (old event, ok bool) {
	t, gen, x := q.setComp(e.cpu, e.at, e.seq, e.task, e.gen)
	if t == nil {
		return event{}, false
	}
	return event{at: x.at, seq: x.key >> slotBits, kind: evTaskDone, cpu: e.cpu, task: t, gen: gen}, true
}

// setComp is setCompletion without events: the completion it replaces is
// (old, oldGen) at x (old nil: none).
func (q *eventQueue) setComp(cpu int32, at, seq uint64, t *Task, gen uint32) (old *Task, oldGen uint32, x qent) {
	c := &q.comp[cpu]
	if seq >= 1<<(64-slotBits) {
		panic("sim: event queue: more than 2^40 events in one run")
	}
	q.n++
	if q.vacant == int(cpu)+1 {
		// c.task is nil: the leaf's value is taken
		q.vacant = 0
		c.task, c.gen = t, gen
		q.setRoot(int(cpu), at, seq<<slotBits|uint64(cpu))
		return nil, 0, qent{}
	}
	if c.task != nil {
		old, oldGen, x = c.task, c.gen, q.tree[(q.nleaf+int(cpu))&(treeLen-1)]
		q.n--
	}
	c.task, c.gen = t, gen
	q.set(int(cpu), at, seq<<slotBits|uint64(cpu))
	return old, oldGen, x
}

// popComp takes the completion at the tree's root into *e.
func (q *eventQueue) popComp(e *event) {
	x := q.tree[1]
	cpu := int(x.key & (1<<slotBits - 1))
	q.n--
	c := &q.comp[cpu]
	// *e is zero (popInto): no closure to write
	e.at, e.seq, e.kind, e.cpu, e.gen = x.at, x.key>>slotBits, evTaskDone, int32(cpu), c.gen
	e.task = c.task
	*c = compSlot{}
	q.vacant = cpu + 1
}

// fill empties the vacant leaf.
func (q *eventQueue) fill() {
	q.setRoot(q.vacant-1, noEvent.at, noEvent.key)
	q.vacant = 0
}

// popLane takes the first head of the lanes.
func (q *eventQueue) popLane(e *event) {
	ln := &q.lanes[q.laneBest]
	le := &ln.ring[ln.head]
	// *e is zero (popInto): the pointer fields stay nil, unwritten
	e.at, e.seq, e.kind, e.cpu, e.gen = le.x.at, le.x.key>>slotBits, le.kind, le.cpu, le.gen
	ln.head = (ln.head + 1) & (len(ln.ring) - 1)
	ln.n--
	q.n--
	h := &q.heads
	h[q.laneBest] = noEvent
	if ln.n > 0 {
		h[q.laneBest] = ln.ring[ln.head].x
	}
	// the first of the five heads, without branches
	a := int(less(&h[1], &h[0]))
	b := 2 + int(less(&h[3], &h[2]))
	a += (b - a) * int(less(&h[b], &h[a]))
	a += (4 - a) * int(less(&h[4], &h[a]))
	q.laneMin, q.laneBest = h[a], a
}

// The heap is 4-ary: half the depth of a binary heap and the children of a
// node share cache lines, which matters once thousands of sleeping tasks
// each have a pending wakeup.
const heapArity = 4 // pop's unrolled comparisons assume 4

// before reports whether a fires before b.
func before(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// less is 1 if a fires before b, else 0: the borrow of the 128-bit
// subtraction (a.at, a.key) - (b.at, b.key), without a branch (the heap's
// comparisons are unpredictable).
func less(a, b *qent) uint64 {
	_, borrow := bits.Sub64(a.key, b.key, 0)
	_, borrow = bits.Sub64(a.at, b.at, borrow)
	return borrow
}

func (q *eventQueue) len() int { return len(q.h) + q.n }

// firstAt is the time of the next event; the queue must not be empty.
func (q *eventQueue) firstAt() uint64 {
	if q.vacant != 0 {
		q.fill()
	}
	at := ^uint64(0)
	if len(q.h) > 0 {
		at = q.h[0].at
	}
	if q.n > 0 {
		at = min(at, q.tree[1].at, q.laneMin.at)
	}
	return at
}

// pop takes the next event; the queue must not be empty.
func (q *eventQueue) pop() event {
	var e event
	q.popInto(&e)
	return e
}

// popInto takes the next event into *e, which must be zero (an event
// built in place, not returned by value through every level); the queue
// must not be empty.
func (q *eventQueue) popInto(e *event) {
	if q.vacant != 0 {
		q.fill()
	}
	if q.n == 0 {
		q.popHeap(e)
		return
	}
	lane := less(&q.laneMin, &q.tree[1]) != 0
	first := &q.tree[1]
	if lane {
		first = &q.laneMin
	}
	if len(q.h) > 0 && less(&q.h[0], first) != 0 {
		q.popHeap(e)
		return
	}
	if lane {
		q.popLane(e)
		return
	}
	q.popComp(e)
}

// push and pop move a hole instead of swapping (each level writes one
// event, not two); the resulting heap is the one swaps would build.
func (q *eventQueue) push(e event) {
	var slot uint32
	p := payload{cpu: e.cpu, gen: e.gen, kind: e.kind, task: e.task, fn: e.fn}
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.payloads[slot] = p
	} else {
		slot = uint32(len(q.payloads))
		q.payloads = append(q.payloads, p)
	}
	if e.seq >= 1<<(64-slotBits) || slot >= 1<<slotBits {
		panic("sim: event queue: more than 2^40 events or 2^24 pending events in one run")
	}
	x := qent{at: e.at, key: e.seq<<slotBits | uint64(slot)}
	if len(q.h) == cap(q.h) {
		q.growHeap()
	}
	q.h = q.h[:len(q.h)+1]
	siftUp(q.h, len(q.h)-1, x)
}

// siftUp puts x in the hole at h[i], or above it: the hole rises while x
// comes before its parent.
func siftUp(h []qent, i int, x qent) {
	for i > 0 {
		p := (i - 1) / heapArity
		if less(&x, &h[p]) == 0 {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

// heapPad entries before the heap's root in its array (64-byte aligned):
// the four children of node i, h[4i+1..4i+4], then fill one cache line,
// so a level of the sift costs one line instead of two.
const heapPad = 3

// growHeap doubles the heap's array, at least 16 KiB (an allocation of
// that size is 64-byte aligned).
func (q *eventQueue) growHeap() {
	b := make([]qent, max(1024, 2*(cap(q.h)+heapPad)))
	h := b[heapPad : heapPad+len(q.h)]
	copy(h, q.h)
	q.h = h
}

func (q *eventQueue) popHeap(e *event) {
	h := q.h
	top := h[0]
	n := len(h) - 1
	x := h[n]
	h = h[:n]
	if n > 0 {
		// Floyd's deletion: the hole left at the root moves down to a
		// leaf, along the smaller child, without comparing with x (the
		// last leaf, which nearly always belongs at the bottom again);
		// then x rises from there. Any heap pops the same sequence
		// (keys are unique).
		i := 0
		for {
			first := heapArity*i + 1
			if first+heapArity > n {
				break
			}
			// Four children (the usual case), compared in pairs
			// without branches. (The array pointer and the masks spare
			// the bounds checks.)
			c := (*[heapArity]qent)(h[first : first+heapArity])
			a := int(less(&c[1], &c[0]))
			b := 2 + int(less(&c[3], &c[2]))
			a += (b - a) * int(less(&c[b&3], &c[a&3]))
			h[i] = c[a&3]
			i = first + a
		}
		// fewer than four children (leaves), or none
		if first := heapArity*i + 1; first < n {
			m := first
			for c := first + 1; c < n; c++ {
				if less(&h[c], &h[m]) != 0 {
					m = c
				}
			}
			h[i] = h[m]
			i = m
		}
		siftUp(h, i, x)
	}
	q.h = h
	slot := uint32(top.key & (1<<slotBits - 1))
	p := &q.payloads[slot]
	e.at, e.seq, e.kind, e.cpu, e.gen = top.at, top.key>>slotBits, p.kind, p.cpu, p.gen
	e.task, e.fn = p.task, p.fn
	*p = payload{}
	q.free = append(q.free, slot)
}
