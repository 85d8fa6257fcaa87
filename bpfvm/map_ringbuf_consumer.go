package bpfvm

import "fmt"

// A ring buffer whose records a user-space model reads (scx_rustland's
// `queued`: tasks the BPF side hands to its user-space scheduler). By
// default schedsim consumes each record as it is submitted; after
// SetConsumed the map keeps submitted records until Consume takes them, in
// reservation order, so that space, BPF_RB_AVAIL_DATA and the positions
// behave as on a kernel ring whose consumer is user space: a reservation
// fails (NULL) when unconsumed records fill the ring, and a record reserved
// but not yet submitted holds back the ones after it (the busy bit).

type ringbufRec struct {
	off   uint64 // offset of the header in the data area
	n     uint64 // bytes with header and padding
	size  uint64 // payload
	state uint8  // recReserved, recSubmitted, recDiscarded
}

const (
	recReserved = iota
	recSubmitted
	recDiscarded
)

// RingbufConsumer is the user-space side of a BPF_MAP_TYPE_RINGBUF map that
// keeps its records (libbpf's ring_buffer__consume).
type RingbufConsumer interface {
	Map
	// SetConsumed makes the map keep submitted records for Consume.
	SetConsumed()
	// Consume returns a copy of the oldest submitted record, skipping
	// discarded ones; false when there is none (or the oldest is still
	// reserved).
	Consume() ([]byte, bool)
	// AvailData is BPF_RB_AVAIL_DATA: bytes reserved and not consumed.
	AvailData() uint64
}

func (m *ringbufMap) SetConsumed() {
	if !m.keep && len(m.outstanding) == 0 {
		m.keep = true
		m.head, m.tail = 0, 0
	}
}

func (m *ringbufMap) AvailData() uint64 { return m.prodPos - m.consPos }

func (m *ringbufMap) reserveKept(size uint64) uint64 {
	n := (size + ringbufHdr + 7) &^ 7
	capacity := uint64(m.spec.MaxEntries)
	var off uint64
	switch {
	case len(m.recs) == 0:
		m.head, m.tail = 0, 0
		if n > capacity {
			m.Dropped++
			return 0
		}
	case m.head > m.tail && m.head+n <= capacity:
		off = m.head
	case m.head > m.tail && n <= m.tail:
		off = 0 // the rest of the ring, after head, is skipped
	case m.head <= m.tail && m.head+n <= m.tail:
		off = m.head
	default:
		m.Dropped++
		return 0
	}
	m.head = off + n
	m.prodPos += n
	m.recs = append(m.recs, ringbufRec{off: off, n: n, size: size})
	a := m.data + off + ringbufHdr
	m.outstanding[a] = n
	clear(m.mem().MustBytes(a, size))
	return a
}

func (m *ringbufMap) commitKept(addr uint64, submit bool) error {
	if _, ok := m.outstanding[addr]; !ok {
		return fmt.Errorf("%#x is not a reserved ring buffer record of %s", addr, m.spec.Name)
	}
	delete(m.outstanding, addr)
	off := addr - ringbufHdr - m.data
	for i := range m.recs {
		if m.recs[i].off == off && m.recs[i].state == recReserved {
			if submit {
				m.recs[i].state = recSubmitted
				m.Submitted++
			} else {
				m.recs[i].state = recDiscarded
				m.Discarded++
			}
			break
		}
	}
	m.dropDiscarded()
	return nil
}

// dropDiscarded frees discarded records at the head of the ring.
func (m *ringbufMap) dropDiscarded() {
	for len(m.recs) > 0 && m.recs[0].state == recDiscarded {
		m.pop()
	}
}

func (m *ringbufMap) pop() {
	m.consPos += m.recs[0].n
	m.recs = m.recs[1:]
	if len(m.recs) > 0 {
		m.tail = m.recs[0].off
	} else {
		m.recs = nil
		m.head, m.tail = 0, 0
	}
}

func (m *ringbufMap) Consume() ([]byte, bool) {
	m.dropDiscarded()
	if len(m.recs) == 0 || m.recs[0].state != recSubmitted {
		return nil, false
	}
	r := m.recs[0]
	b := append([]byte(nil), m.mem().MustBytes(m.data+r.off+ringbufHdr, r.size)...)
	m.pop()
	return b, true
}

func (m *ringbufMap) queryKept(flags uint64) uint64 {
	switch flags {
	case 0:
		return m.prodPos - m.consPos
	case 1:
		return uint64(m.spec.MaxEntries)
	case 2:
		return m.consPos
	case 3:
		return m.prodPos
	}
	return 0
}
