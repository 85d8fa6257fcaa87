package sim

import "slices"

// DSQ is a dispatch queue: FIFO (a doubly linked list through the tasks) or
// vtime-ordered (a binary heap on (dsq_vtime, insertion sequence), so equal
// vtimes keep FIFO order as the kernel's rbtree does). A user DSQ becomes
// one or the other with its first insertion and may not mix them.
//
// What the queue operations read is in the first 64 bytes, and a DSQ is
// 128 bytes (a size class of 64-byte aligned objects): one cache line for
// a local DSQ.
type DSQ struct {
	ID    uint64
	m     *Machine // for observers
	local int32    // owning CPU for a local DSQ, -1 otherwise
	nr    int32
	priq  bool // len(heap) > 0: isPriq without reading the heap's line

	head, tail *Task
	// NrInserted counts insertions over the run.
	NrInserted uint64

	heap []*Task
	seq  uint64
	_    [40]byte
}

func newDSQ(m *Machine, id uint64, local int) *DSQ { return &DSQ{ID: id, local: int32(local), m: m} }

// Local is the CPU whose local DSQ q is, or -1.
func (q *DSQ) Local() int { return int(q.local) }

func (q *DSQ) observe(p *Task, inserted bool) {
	if q.m != nil && q.m.obs != nil {
		q.m.obs.DSQ(q.m.now, q, p, inserted)
	}
}

// Len is the number of queued tasks.
func (q *DSQ) Len() int { return int(q.nr) }

func (q *DSQ) builtin() bool { return q.ID&DSQFlagBuiltin != 0 }

func (q *DSQ) isPriq() bool { return q.priq }

func (q *DSQ) pushFIFO(p *Task, head bool) {
	q.linkFIFO(p, head)
	q.observe(p, true)
}

func (q *DSQ) linkFIFO(p *Task, head bool) {
	p.dsq = q
	q.nr++
	q.NrInserted++
	if head {
		p.prev, p.next = nil, q.head
		if q.head != nil {
			q.head.prev = p
		} else {
			q.tail = p
		}
		q.head = p
		return
	}
	p.prev, p.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = p
	} else {
		q.head = p
	}
	q.tail = p
}

func (q *DSQ) pushVtime(p *Task) {
	p.dsq = q
	q.nr++
	q.NrInserted++
	q.seq++
	p.dsqSeq = q.seq
	p.heapIdx = len(q.heap)
	q.heap = append(q.heap, p)
	q.priq = true
	q.up(p.heapIdx)
	q.observe(p, true)
}

func vless(a, b *Task) bool {
	va, vb := a.K.Scx.DsqVtime, b.K.Scx.DsqVtime
	// vtime comparisons wrap as the kernel's time_before64 does.
	if d := int64(va - vb); d != 0 {
		return d < 0
	}
	return a.dsqSeq < b.dsqSeq
}

func (q *DSQ) up(i int) {
	h := q.heap
	for i > 0 {
		p := (i - 1) / 2
		if !vless(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		h[i].heapIdx, h[p].heapIdx = i, p
		i = p
	}
}

func (q *DSQ) down(i int) {
	h := q.heap
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && vless(h[r], h[l]) {
			m = r
		}
		if !vless(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		h[i].heapIdx, h[m].heapIdx = i, m
		i = m
	}
}

// remove takes p off the queue.
func (q *DSQ) remove(p *Task) {
	if q.isPriq() {
		i := p.heapIdx
		n := len(q.heap) - 1
		if i != n {
			q.heap[i] = q.heap[n]
			q.heap[i].heapIdx = i
		}
		q.heap[n] = nil
		q.heap = q.heap[:n]
		q.priq = n > 0
		if i != n {
			q.down(i)
			q.up(i)
		}
	} else {
		if p.prev != nil {
			p.prev.next = p.next
		} else {
			q.head = p.next
		}
		if p.next != nil {
			p.next.prev = p.prev
		} else {
			q.tail = p.prev
		}
		p.prev, p.next = nil, nil
	}
	p.dsq = nil
	q.nr--
	q.observe(p, false)
}

// first returns the first task in dispatch order, or nil.
func (q *DSQ) first() *Task {
	if q.isPriq() {
		return q.heap[0]
	}
	return q.head
}

// firstAllowed returns the first task, in dispatch order, that may run on
// cpu. For a vtime DSQ it walks the heap in order, which costs
// O(k log n) for the k tasks skipped; affinity-restricted tasks are rare.
func (q *DSQ) firstAllowed(cpu int) *Task {
	if !q.isPriq() {
		for p := q.head; p != nil; p = p.next {
			if p.Allowed(cpu) {
				return p
			}
		}
		return nil
	}
	if q.heap[0].Allowed(cpu) {
		return q.heap[0]
	}
	// Ordered walk: a small heap of candidate indices.
	cand := []int{0}
	for len(cand) > 0 {
		bi := 0
		for i := range cand {
			if vless(q.heap[cand[i]], q.heap[cand[bi]]) {
				bi = i
			}
		}
		i := cand[bi]
		cand = append(cand[:bi], cand[bi+1:]...)
		if q.heap[i].Allowed(cpu) {
			return q.heap[i]
		}
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(q.heap) {
				cand = append(cand, c)
			}
		}
	}
	return nil
}

// Tasks returns the queued tasks in dispatch order (for iterators and
// reports; O(n log n) for vtime DSQs).
func (q *DSQ) Tasks() []*Task {
	out := make([]*Task, 0, q.nr)
	if !q.isPriq() {
		for p := q.head; p != nil; p = p.next {
			out = append(out, p)
		}
		return out
	}
	out = append(out, q.heap...)
	sortTasks(out, vless)
	return out
}

func sortTasks(ts []*Task, less func(a, b *Task) bool) {
	slices.SortFunc(ts, func(a, b *Task) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	})
}
