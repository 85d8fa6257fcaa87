package bpfvm

import "fmt"

// ringbufMap is BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): MaxEntries
// bytes (a power of 2) of records the program reserves and submits or
// discards, and user space consumes. schedsim's user space consumes each
// record as it is submitted (the records are counted, not kept), so space
// is taken only by reservations not yet submitted; a reservation that does
// not fit returns NULL, as on a full ring.
type ringbufMap struct {
	mapBase
	data        uint64            // MaxEntries bytes
	head        uint64            // next reservation offset
	outstanding map[uint64]uint64 // reserved record address -> size with header
	used        uint64
	// Submitted, Discarded and Dropped count records (Dropped: a
	// reservation or output that did not fit).
	Submitted, Discarded, Dropped uint64
	// keep: a consumer reads the records (SetConsumed); see
	// map_ringbuf_consumer.go.
	keep bool
	recs []ringbufRec // with keep: reserved records, oldest first
	tail uint64       // with keep: offset of the oldest record's header
	// with keep: producer and consumer positions (bytes reserved and
	// consumed since SetConsumed)
	prodPos, consPos uint64
}

const ringbufHdr = 8 // BPF_RINGBUF_HDR_SZ

func newRingbufMap(vm *VM, spec *MapSpec) (*ringbufMap, error) {
	m := &ringbufMap{outstanding: map[uint64]uint64{}}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	addr, err := vm.Mem.Alloc(uint64(spec.MaxEntries), 8)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: ringbuf %s: %w: %v", spec.Name, errNoMem, err)
	}
	m.data = addr
	return m, nil
}

// reserve returns the address of size bytes of a new record, or 0.
func (m *ringbufMap) reserve(size uint64) uint64 {
	if m.keep {
		return m.reserveKept(size)
	}
	n := (size + ringbufHdr + 7) &^ 7
	capacity := uint64(m.spec.MaxEntries)
	if n > capacity || m.used+n > capacity {
		m.Dropped++
		return 0
	}
	if m.head+n > capacity {
		m.head = 0 // wrap; the space before is free once consumed
	}
	a := m.data + m.head + ringbufHdr
	m.head += n
	m.used += n
	m.outstanding[a] = n
	clear(m.mem().MustBytes(a, size))
	return a
}

// commit ends a reservation (submit or discard).
func (m *ringbufMap) commit(addr uint64, submit bool) error {
	if m.keep {
		return m.commitKept(addr, submit)
	}
	n, ok := m.outstanding[addr]
	if !ok {
		return fmt.Errorf("%#x is not a reserved ring buffer record of %s", addr, m.spec.Name)
	}
	delete(m.outstanding, addr)
	m.used -= n
	if submit {
		m.Submitted++
	} else {
		m.Discarded++
	}
	return nil
}

func (m *ringbufMap) ValueAddr(uint32) (uint64, bool) { return 0, false }
func (m *ringbufMap) Lookup([]byte) ([]byte, error) {
	return nil, m.errf(ErrNotSupported, "lookup")
}
func (m *ringbufMap) Update([]byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update")
}
func (m *ringbufMap) Delete([]byte) error                  { return m.errf(ErrNotSupported, "delete") }
func (m *ringbufMap) Iterate(func(key, value []byte) bool) {}
func (m *ringbufMap) Len() int                             { return 0 }
func (m *ringbufMap) lookupElem(int, []byte) uint64        { return 0 }
func (m *ringbufMap) updateElem(int, []byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update")
}
func (m *ringbufMap) deleteElem([]byte) error { return m.errf(ErrNotSupported, "delete") }

// Ring buffer helper ids (enum bpf_func_id).
const (
	HelperRingbufOutput  = 130
	HelperRingbufReserve = 131
	HelperRingbufSubmit  = 132
	HelperRingbufDiscard = 133
	HelperRingbufQuery   = 134
)

func ringbufArg(c *Context, r1 uint64, what string) (*ringbufMap, error) {
	m, ok := c.VM.mapAt(r1).(*ringbufMap)
	if !ok {
		return nil, fmt.Errorf("%s: %#x is not a ring buffer map", what, r1)
	}
	return m, nil
}

// helperRingbufReserve is bpf_ringbuf_reserve(ringbuf, size, flags).
func helperRingbufReserve(c *Context, r1, size, flags, _, _ uint64) (uint64, error) {
	m, err := ringbufArg(c, r1, "bpf_ringbuf_reserve")
	if err != nil {
		return 0, err
	}
	if flags != 0 {
		return 0, nil
	}
	return m.reserve(size), nil
}

// helperRingbufOutput is bpf_ringbuf_output(ringbuf, data, size, flags):
// a reservation, a copy and a submit.
func helperRingbufOutput(c *Context, r1, data, size, _, _ uint64) (uint64, error) {
	m, err := ringbufArg(c, r1, "bpf_ringbuf_output")
	if err != nil {
		return 0, err
	}
	if _, err := c.VM.Mem.Bytes(data, size); err != nil {
		return 0, fmt.Errorf("bpf_ringbuf_output: %w", err)
	}
	a := m.reserve(size)
	if a == 0 {
		return negErrno(errnoEAGAIN), nil
	}
	copy(c.VM.Mem.MustBytes(a, size), c.VM.Mem.MustBytes(data, size))
	return 0, m.commit(a, true)
}

func ringbufCommit(submit bool) Func {
	return func(c *Context, rec, _, _, _, _ uint64) (uint64, error) {
		for _, mm := range c.VM.Maps {
			if m, ok := mm.(*ringbufMap); ok {
				if _, mine := m.outstanding[rec]; mine {
					return 0, m.commit(rec, submit)
				}
			}
		}
		return 0, fmt.Errorf("bpf_ringbuf_submit/discard: %#x is not a reserved ring buffer record", rec)
	}
}

// helperRingbufQuery is bpf_ringbuf_query: BPF_RB_AVAIL_DATA (0, consumed
// at once), BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS.
func helperRingbufQuery(c *Context, r1, flags, _, _, _ uint64) (uint64, error) {
	m, err := ringbufArg(c, r1, "bpf_ringbuf_query")
	if err != nil {
		return 0, err
	}
	if m.keep {
		return m.queryKept(flags), nil
	}
	switch flags {
	case 1:
		return uint64(m.spec.MaxEntries), nil
	case 2, 3:
		return m.head, nil
	}
	return 0, nil
}
