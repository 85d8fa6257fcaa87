package sim

import "math/bits"

// Events are ordered by (time, sequence number): two events at the same
// nanosecond fire in the order they were scheduled. The queue is a 4-ary
// heap of 32-byte values (no per-event allocation): the sequence number and
// the kind share one word, and a closure (evFunc) waits in a side table, its
// slot in gen.

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

// qent is an event in the heap: key is seq<<8 | kind, so comparing (at,
// key) orders as (at, seq) does (sequence numbers are unique and below
// 2^56: a run would need to schedule 7e16 events to overflow them).
type qent struct {
	at   uint64
	key  uint64
	cpu  int32
	gen  uint32 // for evFunc: the closure's slot in eventQueue.fns
	task *Task
}

type eventQueue struct {
	h    []qent
	fns  []func() // closures of pending evFunc events, by slot
	free []uint32 // free slots of fns, reused last-freed first
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
	x := qent{at: e.at, key: e.seq<<8 | uint64(e.kind), cpu: e.cpu, gen: e.gen, task: e.task}
	if e.kind == evFunc {
		var slot uint32
		if n := len(q.free); n > 0 {
			slot = q.free[n-1]
			q.free = q.free[:n-1]
			q.fns[slot] = e.fn
		} else {
			slot = uint32(len(q.fns))
			q.fns = append(q.fns, e.fn)
		}
		x.gen = slot
	}
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
	h[n] = qent{}
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
	e := event{at: top.at, seq: top.key >> 8, kind: eventKind(top.key), cpu: top.cpu, gen: top.gen, task: top.task}
	if e.kind == evFunc {
		e.fn = q.fns[top.gen]
		q.fns[top.gen] = nil
		q.free = append(q.free, top.gen)
		e.gen = 0
	}
	return e
}
