package sim

import "math/bits"

// Events are ordered by (time, sequence number): two events at the same
// nanosecond fire in the order they were scheduled. The queue is a 4-ary
// heap of 16-byte values (no per-event allocation), see qent.

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

func (q *eventQueue) len() int { return len(q.h) }

// firstAt is the time of the next event; the queue must not be empty.
func (q *eventQueue) firstAt() uint64 { return q.h[0].at }

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
	q.h = append(q.h, x)
	h := q.h
	i := len(h) - 1
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

func (q *eventQueue) pop() event {
	h := q.h
	top := h[0]
	n := len(h) - 1
	x := h[n]
	h = h[:n]
	if n > 0 {
		i := 0
		for {
			first := heapArity*i + 1
			if first >= n {
				break
			}
			m := first
			if first+heapArity <= n {
				// Four children (the usual case), compared in pairs
				// without branches: sequence numbers make the minimum
				// unique.
				c := h[first : first+4 : first+4]
				a := int(less(&c[1], &c[0]))
				b := 2 + int(less(&c[3], &c[2]))
				a += (b - a) * int(less(&c[b], &c[a]))
				m += a
			} else {
				for c := first + 1; c < n; c++ {
					if less(&h[c], &h[m]) != 0 {
						m = c
					}
				}
			}
			if less(&h[m], &x) == 0 {
				break
			}
			h[i] = h[m]
			i = m
		}
		h[i] = x
	}
	q.h = h
	slot := uint32(top.key & (1<<slotBits - 1))
	p := &q.payloads[slot]
	e := event{at: top.at, seq: top.key >> slotBits, kind: p.kind, cpu: p.cpu, gen: p.gen, task: p.task, fn: p.fn}
	*p = payload{}
	q.free = append(q.free, slot)
	return e
}
