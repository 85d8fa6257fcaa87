package bpfvm

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"syscall"
	"unsafe"
)

// Memory is the one linear memory of a VM (DESIGN.md, "Memory model"). It is
// reserved with mmap outside the Go heap; BPF registers hold real addresses
// inside it, and every access by the interpreter is checked against
// [Base, Base+Size). Go code views objects in it through the accessors below
// (or through typed pointers obtained with Ptr), never by copying.
//
// No Go pointer is ever stored in it.
type Memory struct {
	buf  []byte
	base uint64
	size uint64
	brk  uint64 // bump pointer (offset)
	// free lists per power-of-two size class (16 B .. 64 KiB), LIFO,
	// deterministic (slices, not maps).
	free [13][]uint64
	// live allocations' size classes plus one, by offset>>4, for Free
	// (0: none). Only for class allocations, which lie below brk: the
	// table grows with brk, a byte for every 16 of it (a map cost three
	// hash operations per bpf_obj_new/bpf_obj_drop pair), up to
	// denseSizes; allocations above (after an arena's pages, say) are in
	// sizesHigh
	sizes     []uint8
	sizesHigh map[uint64]uint8
	inUse     uint64
}

// MinAlloc is the smallest allocation class.
const MinAlloc = 16

const maxClass = 12 // 16 << 12 = 64 KiB

// denseSizes bounds the offsets Memory.sizes covers (a table of at most
// 4 MiB).
const denseSizes = 64 << 20

// NewMemory reserves size bytes (rounded up to a page) of linear memory.
// Pages are committed lazily by the OS, so a large reservation is cheap.
func NewMemory(size uint64) (*Memory, error) {
	const page = 4096
	size = (size + page - 1) &^ (page - 1)
	if size == 0 {
		size = page
	}
	buf, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: reserving %d bytes of linear memory: %w", size, err)
	}
	m := &Memory{buf: buf, base: uint64(uintptr(unsafe.Pointer(&buf[0]))), size: size}
	m.brk = 64 // keep the first bytes unused so that Base is never a valid object
	return m, nil
}

// Close releases the memory. Views obtained from it become invalid.
func (m *Memory) Close() error {
	if m.buf == nil {
		return nil
	}
	err := syscall.Munmap(m.buf)
	m.buf = nil
	return err
}

// Base is the address of the first byte.
func (m *Memory) Base() uint64 { return m.base }

// Size is the number of bytes reserved.
func (m *Memory) Size() uint64 { return m.size }

// InUse is the number of bytes handed out and not freed.
func (m *Memory) InUse() uint64 { return m.inUse }

// Contains reports whether [addr, addr+n) lies inside the memory.
func (m *Memory) Contains(addr, n uint64) bool {
	off := addr - m.base
	return off < m.size && n <= m.size-off
}

// Describe renders an address for messages without revealing where the
// memory was mapped (which differs between processes): addresses inside
// or near the linear memory are shown relative to its base, so that the
// same run always prints the same text.
func (m *Memory) Describe(addr uint64) string {
	const near = 1 << 32
	switch {
	case addr >= m.base && addr-m.base < m.size+near:
		return fmt.Sprintf("mem+%#x", addr-m.base)
	case addr < m.base && m.base-addr < near:
		return fmt.Sprintf("mem-%#x", m.base-addr)
	}
	return fmt.Sprintf("%#x", addr)
}

// Alloc returns the address of n zeroed bytes aligned to align (a power of
// two, at most 4096). Small sizes come from per-class free lists.
func (m *Memory) Alloc(n, align uint64) (uint64, error) {
	if n == 0 {
		n = 1
	}
	if align == 0 {
		align = 8
	}
	if n <= MinAlloc<<maxClass && align <= MinAlloc<<maxClass {
		c := sizeClass(max(n, align))
		sz := uint64(MinAlloc) << c
		if l := m.free[c]; len(l) > 0 {
			off := l[len(l)-1]
			m.free[c] = l[:len(l)-1]
			clear(m.buf[off : off+sz])
			m.setClass(off, c)
			m.inUse += sz
			return m.base + off, nil
		}
		off, err := m.bump(sz, sz)
		if err != nil {
			return 0, err
		}
		m.setClass(off, c)
		m.inUse += sz
		return m.base + off, nil
	}
	off, err := m.bump(n, max(align, 8))
	if err != nil {
		return 0, err
	}
	m.inUse += n
	return m.base + off, nil
}

// setClass records the live class allocation at off.
func (m *Memory) setClass(off uint64, c int) {
	if off >= denseSizes {
		if m.sizesHigh == nil {
			m.sizesHigh = make(map[uint64]uint8)
		}
		m.sizesHigh[off>>4] = uint8(c)
		return
	}
	k := off >> 4
	if k >= uint64(len(m.sizes)) {
		m.sizes = append(m.sizes, make([]uint8, k+1-uint64(len(m.sizes)))...)
	}
	m.sizes[k] = uint8(c) + 1
}

func (m *Memory) bump(n, align uint64) (uint64, error) {
	off := (m.brk + align - 1) &^ (align - 1)
	if off > m.size || n > m.size-off {
		return 0, fmt.Errorf("bpfvm: linear memory exhausted (%d bytes reserved, %d more requested)", m.size, n)
	}
	m.brk = off + n
	return off, nil
}

func sizeClass(n uint64) int {
	if n <= MinAlloc {
		return 0
	}
	return bits.Len64(n-1) - 4
}

// Free returns an allocation made by Alloc with a class size to its free
// list. Large allocations are not reused. Freeing an address that is not a
// live allocation returns an error.
func (m *Memory) Free(addr uint64) error {
	off := addr - m.base
	k := off >> 4
	var c uint8
	switch {
	case off >= m.size:
		return fmt.Errorf("bpfvm: free of %#x, which is not a live allocation", addr)
	case off >= denseSizes:
		cl, ok := m.sizesHigh[k]
		if !ok {
			return fmt.Errorf("bpfvm: free of %#x, which is not a live allocation", addr)
		}
		delete(m.sizesHigh, k)
		c = cl
	case k >= uint64(len(m.sizes)) || m.sizes[k] == 0:
		return fmt.Errorf("bpfvm: free of %#x, which is not a live allocation", addr)
	default:
		c = m.sizes[k] - 1
		m.sizes[k] = 0
	}
	m.free[c] = append(m.free[c], off)
	m.inUse -= uint64(MinAlloc) << c
	return nil
}

// Bytes returns a view of [addr, addr+n), or an error if it is out of bounds.
func (m *Memory) Bytes(addr, n uint64) ([]byte, error) {
	if !m.Contains(addr, n) {
		return nil, m.outside(addr, n)
	}
	off := addr - m.base
	return m.buf[off : off+n : off+n], nil
}

// outside is Bytes's error, out of line so that Bytes inlines.
//
//go:noinline
func (m *Memory) outside(addr, n uint64) error {
	return fmt.Errorf("bpfvm: access of %d bytes at %s is outside linear memory", n, m.Describe(addr))
}

// MustBytes is Bytes for addresses the caller allocated itself.
func (m *Memory) MustBytes(addr, n uint64) []byte {
	b, err := m.Bytes(addr, n)
	if err != nil {
		panic(err)
	}
	return b
}

// Ptr returns a typed pointer to the object of type T at addr. The caller
// must have checked (or allocated) the range; T must contain no Go pointers.
func Ptr[T any](m *Memory, addr uint64) *T {
	var zero T
	b := m.MustBytes(addr, uint64(unsafe.Sizeof(zero)))
	return (*T)(unsafe.Pointer(&b[0]))
}

// Load64 and friends read little-endian values; they panic on out-of-bounds
// addresses and are meant for Go code that owns the address.
// mustBytesSlow is MustBytes, out of line so that the accessors below
// inline.
//
//go:noinline
func (m *Memory) mustBytesSlow(addr, n uint64) []byte { return m.MustBytes(addr, n) }

// The fast path indexes buf directly (len(buf) is size until Close); any
// other address takes MustBytes's path and panics as it does.
func (m *Memory) Load64(addr uint64) uint64 {
	if off := addr - m.base; off < uint64(len(m.buf)) && uint64(len(m.buf))-off >= 8 {
		return binary.LittleEndian.Uint64(m.buf[off:])
	}
	return binary.LittleEndian.Uint64(m.mustBytesSlow(addr, 8))
}

func (m *Memory) Load32(addr uint64) uint32 {
	if off := addr - m.base; off < uint64(len(m.buf)) && uint64(len(m.buf))-off >= 4 {
		return binary.LittleEndian.Uint32(m.buf[off:])
	}
	return binary.LittleEndian.Uint32(m.mustBytesSlow(addr, 4))
}

func (m *Memory) Store64(addr, v uint64) {
	if off := addr - m.base; off < uint64(len(m.buf)) && uint64(len(m.buf))-off >= 8 {
		binary.LittleEndian.PutUint64(m.buf[off:], v)
		return
	}
	binary.LittleEndian.PutUint64(m.mustBytesSlow(addr, 8), v)
}

func (m *Memory) Store32(addr uint64, v uint32) {
	if off := addr - m.base; off < uint64(len(m.buf)) && uint64(len(m.buf))-off >= 4 {
		binary.LittleEndian.PutUint32(m.buf[off:], v)
		return
	}
	binary.LittleEndian.PutUint32(m.mustBytesSlow(addr, 4), v)
}

// CString reads a NUL-terminated string of at most max bytes at addr.
func (m *Memory) CString(addr uint64, max int) (string, error) {
	for n := 0; n < max; n++ {
		b, err := m.Bytes(addr+uint64(n), 1)
		if err != nil {
			return "", err
		}
		if b[0] == 0 {
			s, _ := m.Bytes(addr, uint64(n))
			return string(s), nil
		}
	}
	s, err := m.Bytes(addr, uint64(max))
	return string(s), err
}

// The allocator's layout, for generated code that allocates and frees
// objects of a fixed size class as Alloc and Free do (the JIT's native
// bpf_obj_new and bpf_obj_drop, graph_native.go): offsets in Memory of
// size (uint64), the free lists ([13] slices of uint64 offsets), the size
// table (a []uint8 of class+1 by offset>>4, below MemDenseSizes) and
// inUse (uint64). Generated code changes only the lists' lengths and
// elements within their capacity, bytes of the table within its length,
// and inUse: integers, never a Go pointer.
const (
	MemOffSize    = unsafe.Offsetof(Memory{}.size)
	MemOffFree    = unsafe.Offsetof(Memory{}.free)
	MemOffSizes   = unsafe.Offsetof(Memory{}.sizes)
	MemOffInUse   = unsafe.Offsetof(Memory{}.inUse)
	MemDenseSizes = denseSizes
	MemClasses    = maxClass + 1
)

// SizeClass is the class of an allocation of n bytes (at least 1) aligned
// to align: its size is MinAlloc<<class; -1 if Alloc does not use classes
// for it.
func SizeClass(n, align uint64) int {
	if n == 0 {
		n = 1
	}
	if align == 0 {
		align = 8
	}
	if n > MinAlloc<<maxClass || align > MinAlloc<<maxClass {
		return -1
	}
	return sizeClass(max(n, align))
}

// MemorySnapshot is a copy of a Memory's bytes and allocator state
// (Memory.Snapshot), for differential tests that run two engines from the
// same state.
type MemorySnapshot struct {
	buf       []byte
	brk       uint64
	free      [maxClass + 1][]uint64
	sizes     []uint8
	sizesHigh map[uint64]uint8
	inUse     uint64
}

// Snapshot copies the memory's bytes and allocator state.
func (m *Memory) Snapshot() *MemorySnapshot {
	s := &MemorySnapshot{buf: append([]byte(nil), m.buf...), brk: m.brk, inUse: m.inUse,
		sizes: append(make([]uint8, 0, cap(m.sizes)), m.sizes...)}
	for c, l := range m.free {
		s.free[c] = append(make([]uint64, 0, cap(l)), l...)
	}
	if m.sizesHigh != nil {
		s.sizesHigh = make(map[uint64]uint8, len(m.sizesHigh))
		for k, v := range m.sizesHigh {
			s.sizesHigh[k] = v
		}
	}
	return s
}

// Restore puts back the state s copied (from this memory).
func (m *Memory) Restore(s *MemorySnapshot) {
	copy(m.buf, s.buf)
	t := s.Snapshot()
	m.brk, m.inUse, m.sizes, m.free, m.sizesHigh = t.brk, t.inUse, t.sizes, t.free, t.sizesHigh
}

// Snapshot copies s.
func (s *MemorySnapshot) Snapshot() *MemorySnapshot {
	m := Memory{buf: s.buf, brk: s.brk, free: s.free, sizes: s.sizes, sizesHigh: s.sizesHigh, inUse: s.inUse}
	t := m.Snapshot()
	t.buf = nil
	return t
}

// Diff describes the first difference between two snapshots, "" if they
// are equal (the free lists' capacities aside).
func (s *MemorySnapshot) Diff(o *MemorySnapshot) string {
	for i := range min(len(s.buf), len(o.buf)) {
		if s.buf[i] != o.buf[i] {
			return fmt.Sprintf("byte +%#x: %#x vs %#x", i, s.buf[i], o.buf[i])
		}
	}
	switch {
	case len(s.buf) != len(o.buf):
		return "sizes differ"
	case s.brk != o.brk || s.inUse != o.inUse:
		return fmt.Sprintf("brk %d, in use %d vs brk %d, in use %d", s.brk, s.inUse, o.brk, o.inUse)
	case !slices.Equal(s.sizes, o.sizes):
		return "size tables differ"
	case !maps.Equal(s.sizesHigh, o.sizesHigh):
		return "high size tables differ"
	}
	for c := range s.free {
		if !slices.Equal(s.free[c], o.free[c]) {
			return fmt.Sprintf("free list %d: %v vs %v", c, s.free[c], o.free[c])
		}
	}
	return ""
}
