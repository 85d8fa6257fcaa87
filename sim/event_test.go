package sim

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestEventQueueOrder: interleaved pushes and pops come out in (time,
// sequence) order, ties included.
func TestEventQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q eventQueue
	var seq uint64
	var ref []event // the pending events, kept sorted
	var fired uint64
	for step := 0; step < 20000; step++ {
		if q.len() == 0 || r.IntN(3) > 0 {
			seq++
			e := event{at: r.Uint64N(50), seq: seq, gen: uint32(seq), kind: eventKind(seq % 8), cpu: int32(seq % 5)}
			if e.kind == evFunc {
				s := seq
				e.gen, e.fn = 0, func() { fired = s }
			}
			q.push(e)
			i, _ := slices.BinarySearchFunc(ref, e, func(a, b event) int {
				if before(&a, &b) {
					return -1
				}
				return 1
			})
			ref = slices.Insert(ref, i, e)
			continue
		}
		got := q.pop()
		if got.seq != ref[0].seq || got.at != ref[0].at {
			t.Fatalf("step %d: popped (%d, %d), want (%d, %d)", step, got.at, got.seq, ref[0].at, ref[0].seq)
		}
		if got.kind != ref[0].kind || got.cpu != ref[0].cpu || got.gen != ref[0].gen || (got.fn == nil) != (ref[0].fn == nil) {
			t.Fatalf("step %d: popped %+v, want %+v", step, got, ref[0])
		}
		if got.fn != nil {
			if got.fn(); fired != got.seq {
				t.Fatalf("step %d: event %d ran the closure of event %d", step, got.seq, fired)
			}
		}
		ref = ref[1:]
		if q.len() != len(ref) {
			t.Fatalf("step %d: %d queued, want %d", step, q.len(), len(ref))
		}
	}
}

// TestEventQueueParts: with completion slots and lanes as well as the heap,
// pops still come out in (time, sequence) order. A replaced completion is
// pushed back to the heap, so every event pushed is popped.
func TestEventQueueParts(t *testing.T) {
	// completion counts from one to NrCPUs: trees of every depth
	for _, ncomp := range []int{1, 4, 5, 17, 64, 384, NrCPUs} {
		t.Run(fmt.Sprint(ncomp), func(t *testing.T) { testEventQueueParts(t, ncomp) })
	}
}

func testEventQueueParts(t *testing.T, ncomp int) {
	r := rand.New(rand.NewPCG(3, uint64(ncomp)))
	var q eventQueue
	const nlanes = 3
	q.init(ncomp, nlanes)
	var seq, now uint64
	var ref []event
	insert := func(e event) {
		i, _ := slices.BinarySearchFunc(ref, e, func(a, b event) int {
			if before(&a, &b) {
				return -1
			}
			return 1
		})
		ref = slices.Insert(ref, i, e)
	}
	tasks := make([]Task, ncomp)
	laneAt := [nlanes]uint64{}
	for step := 0; step < 50000; step++ {
		if q.len() == 0 || r.IntN(2) > 0 {
			seq++
			switch k := r.IntN(3); k {
			case 0:
				e := event{at: now + r.Uint64N(50), seq: seq, kind: evWake, cpu: -1}
				q.push(e)
				insert(e)
			case 1:
				c := r.IntN(ncomp)
				e := event{at: now + r.Uint64N(50), seq: seq, kind: evTaskDone, cpu: int32(c), task: &tasks[c], gen: uint32(seq)}
				if old, ok := q.setCompletion(e); ok {
					q.push(old)
				}
				insert(e)
			case 2:
				l := r.IntN(nlanes)
				// mostly in order; sometimes earlier than the lane's last
				at := max(laneAt[l], now) + r.Uint64N(20)
				if r.IntN(10) == 0 {
					at = now
				}
				laneAt[l] = max(laneAt[l], at)
				e := event{at: at, seq: seq, kind: evTick, cpu: int32(l), gen: uint32(seq)}
				q.pushLane(l, e)
				insert(e)
			}
			continue
		}
		if got := q.firstAt(); got != ref[0].at {
			t.Fatalf("step %d: firstAt %d, want %d", step, got, ref[0].at)
		}
		got := q.pop()
		if got.seq != ref[0].seq || got.at != ref[0].at || got.kind != ref[0].kind || got.cpu != ref[0].cpu || got.gen != ref[0].gen || got.task != ref[0].task {
			t.Fatalf("step %d: popped %+v, want %+v", step, got, ref[0])
		}
		now = got.at
		ref = ref[1:]
		if q.len() != len(ref) {
			t.Fatalf("step %d: %d queued, want %d", step, q.len(), len(ref))
		}
	}
}

// TestFNVWord: the unrolled schedule hash step is FNV-1a over the word's
// bytes, least significant first.
func TestFNVWord(t *testing.T) {
	for _, v := range []uint64{0, 1, 0xff, 0x0123456789abcdef, ^uint64(0)} {
		f := fnv.New64a()
		f.Write(binary.LittleEndian.AppendUint64(nil, v))
		if got, want := fnvWord(fnvOffset, v), f.Sum64(); got != want {
			t.Errorf("fnvWord(%#x) = %#x, want %#x", v, got, want)
		}
	}
}

// BenchmarkEventQueue is one pop and one push on a queue of n pending
// events, times drawn as a run's are (exponential, 100 us mean, whole us):
//
//	go test ./sim -run '^$' -bench EventQueue
func BenchmarkEventQueue(b *testing.B) {
	for _, n := range []int{400, 1300} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			var q eventQueue
			var seq, now uint64
			next := func() uint64 { return now + uint64(r.ExpFloat64()*100)*1000 }
			for range n {
				seq++
				q.push(event{at: next(), seq: seq, kind: evTick})
			}
			for b.Loop() {
				now = q.pop().at
				seq++
				q.push(event{at: next(), seq: seq, kind: evTick})
			}
		})
	}
}

// BenchmarkEventQueueMix is the queue's work in a run of the 384-CPU
// machine, roughly: each op pops an event and pushes what its handling
// would (completions re-armed, ticks, reschedules, wakeups), about 1500
// events pending. "parts" queues them as the simulator does (completion
// slots, lanes, heap); "heap" all in the heap, stale completions included,
// as before the lanes and slots.
//
//	go test ./sim -run '^$' -bench EventQueueMix
func BenchmarkEventQueueMix(b *testing.B) {
	for _, parts := range []bool{true, false} {
		name := "heap"
		if parts {
			name = "parts"
		}
		b.Run(name, func(b *testing.B) { benchQueueMix(b, parts) })
	}
}

func benchQueueMix(b *testing.B, parts bool) {
	const ncpu, ntask = 384, 768
	r := rand.New(rand.NewPCG(1, 2))
	var q eventQueue
	if parts {
		q.init(ncpu, 5)
	}
	var seq, now uint64
	tasks := make([]Task, ntask)
	gens := make([]uint32, ncpu)
	exp := func(mean float64) uint64 { return uint64(r.ExpFloat64() * mean) }
	push := func(e event) { seq++; e.seq = seq; q.push(e) }
	lane := func(l int, e event) {
		seq++
		e.seq = seq
		if parts {
			q.pushLane(l, e)
		} else {
			q.push(e)
		}
	}
	comp := func(cpu int, at uint64) {
		seq++
		gens[cpu]++
		e := event{at: at, seq: seq, kind: evTaskDone, cpu: int32(cpu), task: &tasks[cpu], gen: gens[cpu]}
		if parts {
			q.setCompletion(e)
		} else {
			q.push(e)
		}
	}
	for i := range ncpu {
		comp(i, exp(1e6))
		lane(0, event{at: 1e6, kind: evTick, cpu: int32(i)})
	}
	for i := ncpu; i < ntask; i++ {
		push(event{at: exp(3e6), kind: evWake, task: &tasks[i]})
	}
	for b.Loop() {
		e := q.pop()
		now = e.at
		switch e.kind {
		case evTaskDone:
			if e.gen != gens[e.cpu] {
				break // stale (heap only)
			}
			if r.IntN(2) == 0 {
				push(event{at: now + exp(3e6), kind: evWake, task: e.task})
				lane(1, event{at: now + 1000, kind: evResched, cpu: e.cpu})
			} else {
				comp(int(e.cpu), now+exp(1e6))
			}
		case evTick:
			lane(0, event{at: (now/1e6 + 1) * 1e6, kind: evTick, cpu: e.cpu})
			comp(int(e.cpu), now+exp(1e6))
		case evWake:
			lane(3, event{at: now + 2000, kind: evResched, cpu: int32(r.IntN(ncpu))})
		case evResched:
			comp(int(e.cpu), now+exp(1e6))
		}
	}
}

// TestFNVSwitch: fnvSwitch folds the zero bytes of its words and equals
// four fnvWord steps.
func TestFNVSwitch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []uint64{0, 1, 0xff, 0x100, 0xffff, 0x10000, 1<<32 - 1, 1 << 32, 1<<40 - 1, 1 << 40, ^uint64(0)}
	for i := 0; i < 20000; i++ {
		now := words[i%len(words)]
		if i >= len(words) {
			now = r.Uint64() >> (r.IntN(64))
		}
		cpu := int(r.Uint64() >> (40 + r.IntN(24)))
		if i%7 == 0 {
			cpu = int(words[i%len(words)] >> 1)
		}
		prev, next := uint32(r.Uint64()>>r.IntN(64)), uint32(r.Uint64()>>r.IntN(64))
		h := r.Uint64()
		want := fnvWord(fnvWord(fnvWord(fnvWord(h, now), uint64(cpu)), uint64(prev)), uint64(next))
		if got := fnvSwitch(h, now, cpu, prev, next); got != want {
			t.Fatalf("fnvSwitch(%#x, %#x, %d, %d, %d) = %#x, want %#x", h, now, cpu, prev, next, got, want)
		}
	}
}

// TestNextAnd: nextAnd(a, b, from) is (a & b).Next(from).
func TestNextAnd(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		var a, b, in CPUMask
		for j := range a.Bits {
			if r.IntN(3) > 0 {
				a.Bits[j] = r.Uint64() & r.Uint64()
			}
			if r.IntN(3) > 0 {
				b.Bits[j] = r.Uint64() | r.Uint64()
			}
		}
		in.And(&a, &b)
		from := r.IntN(NrCPUs+70) - 3
		if got, want := nextAnd(&a, &b, from), in.Next(from); got != want {
			t.Fatalf("nextAnd(%v, %v, %d) = %d, want %d", a, b, from, got, want)
		}
	}
}

// TestHeapAligned: the heap's children groups start on cache lines.
func TestHeapAligned(t *testing.T) {
	var q eventQueue
	for i := range 5000 {
		q.push(event{at: uint64(i * 7919 % 5003), seq: uint64(i + 1)})
		if a := uintptr(unsafe.Pointer(&q.h[:2][1])); a%64 != 0 {
			t.Fatalf("%d events: h[1] at %#x, not 64-byte aligned", i+1, a)
		}
	}
}
