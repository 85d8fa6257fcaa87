package sim

// Events are ordered by (time, sequence number): two events at the same
// nanosecond fire in the order they were scheduled. The queue is a 4-ary
// heap of values (no per-event allocation).

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

type eventQueue []event

// The heap is 4-ary: half the depth of a binary heap and the children of a
// node share cache lines, which matters once thousands of sleeping tasks
// each have a pending wakeup.
const heapArity = 4 // pop's unrolled comparisons assume 4

// before reports whether a fires before b.
func before(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// push and pop move a hole instead of swapping (each level writes one
// event, not two); the resulting heap is the one swaps would build.
func (q *eventQueue) push(e event) {
	*q = append(*q, e)
	h := *q
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / heapArity
		if !before(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (q *eventQueue) pop() event {
	h := *q
	top := h[0]
	n := len(h) - 1
	x := h[n]
	h[n] = event{}
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
				// Four children (the usual case), compared in pairs:
				// sequence numbers make the minimum unique.
				c := h[first : first+4 : first+4]
				a, b := 0, 2
				if before(&c[1], &c[0]) {
					a = 1
				}
				if before(&c[3], &c[2]) {
					b = 3
				}
				if before(&c[b], &c[a]) {
					a = b
				}
				m += a
			} else {
				for c := first + 1; c < n; c++ {
					if before(&h[c], &h[m]) {
						m = c
					}
				}
			}
			if !before(&h[m], &x) {
				break
			}
			h[i] = h[m]
			i = m
		}
		h[i] = x
	}
	*q = h
	return top
}
