package bpfvm

import (
	"encoding/binary"
	"fmt"
)

// hashMap is BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH.
// Each element is one allocation in linear memory: the key (padded to 8
// bytes), then the value (or one value per CPU). Elements are found through
// a Go map keyed by the key (its bytes, or a number for keys of up to 8
// bytes; lookups only) and iterated in insertion order through an
// intrusive list, never in Go map order.
//
// LRU maps evict exactly the least recently used element when an insertion
// finds the map full; "use" is an insertion, an update or a lookup from BPF
// (not a Go-side lookup), ordered by a recency list. The kernel's LRU is
// approximate (per-CPU free lists, reference bits); this one is exact and
// deterministic.
//
// Updating an existing key writes the value in place (the kernel allocates
// a new element); bpf_timer and bpf_spin_lock fields keep their state.
type hashMap struct {
	mapBase
	percpu, lru bool
	keyStride   uint64
	byKey       map[string]*hashElem // keys longer than 8 bytes
	nums        *HashIndex           // keys of at most 8 bytes, as numbers (find; map_native.go)
	byValue     map[uint64]*hashElem // value address (CPU 0) -> element
	head, tail  *hashElem            // insertion order
	old, young  *hashElem            // LRU order: old is evicted first
	count       int
}

type hashElem struct {
	key            string
	addr           uint64 // the allocation; key at addr, value at addr+keyStride
	prev, next     *hashElem
	older, younger *hashElem
	dead           bool
}

func newHashMap(vm *VM, spec *MapSpec) (*hashMap, error) {
	m := &hashMap{percpu: spec.Type == MapPercpuHash || spec.Type == MapLRUPercpuHash,
		lru:     spec.Type == MapLRUHash || spec.Type == MapLRUPercpuHash,
		byValue: map[uint64]*hashElem{}}
	if spec.KeySize <= 8 {
		m.nums = newHashIndex()
	} else {
		m.byKey = map[string]*hashElem{}
	}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	m.keyStride = align8(uint64(spec.KeySize))
	if m.percpu && len(m.timers) > 0 {
		return nil, fmt.Errorf("bpfvm: map %s: bpf_timer in a per-CPU map value", spec.Name)
	}
	return m, nil
}

func (m *hashMap) elemSize() uint64 {
	if m.percpu {
		return m.keyStride + m.stride*uint64(m.ncpu())
	}
	return m.keyStride + m.stride
}

func (m *hashMap) valueAddr(e *hashElem, cpu int) uint64 {
	return e.addr + m.keyStride + uint64(cpu)*m.stride
}

func (m *hashMap) value(e *hashElem, cpu int) []byte {
	return m.mem().MustBytes(m.valueAddr(e, cpu), uint64(m.spec.ValueSize))
}

func (m *hashMap) ValueAddr(uint32) (uint64, bool) { return 0, false }

func (m *hashMap) Lookup(key []byte) ([]byte, error) {
	if err := m.checkKey(key); err != nil {
		return nil, err
	}
	e := m.find(key)
	if e == nil {
		return nil, m.errf(ErrKeyNotExist, "lookup")
	}
	return m.copyOut(e), nil
}

func (m *hashMap) copyOut(e *hashElem) []byte {
	if !m.percpu {
		return append([]byte(nil), m.value(e, 0)...)
	}
	return append([]byte(nil), m.mem().MustBytes(m.valueAddr(e, 0), m.stride*uint64(m.ncpu()))...)
}

func (m *hashMap) Update(key, value []byte, flags uint64) error {
	if err := m.checkKey(key); err != nil {
		return err
	}
	if err := m.checkValue(value, m.percpu); err != nil {
		return err
	}
	e, err := m.prepare(key, flags)
	if err != nil {
		return err
	}
	if !m.percpu {
		m.copyValue(m.value(e, 0), value)
		return nil
	}
	for c := range m.ncpu() {
		m.copyValue(m.value(e, c), value[uint64(c)*m.stride:])
	}
	return nil
}

func (m *hashMap) updatePerCPU(key []byte, values [][]byte, flags uint64) error {
	if !m.percpu {
		return m.errf(ErrNotSupported, "per-CPU update of a shared hash")
	}
	if err := m.checkKey(key); err != nil {
		return err
	}
	if err := m.checkPerCPU(values); err != nil {
		return err
	}
	e, err := m.prepare(key, flags)
	if err != nil {
		return err
	}
	for c, v := range values {
		m.copyValue(m.value(e, c), v)
	}
	return nil
}

func (m *hashMap) lookupPerCPU(key []byte) ([][]byte, error) {
	if err := m.checkKey(key); err != nil {
		return nil, err
	}
	e := m.find(key)
	if e == nil {
		return nil, m.errf(ErrKeyNotExist, "lookup")
	}
	n := 1
	if m.percpu {
		n = m.ncpu()
	}
	out := make([][]byte, n)
	for c := range out {
		out[c] = append([]byte(nil), m.value(e, c)...)
	}
	return out, nil
}

// prepare returns the element to write the value of key into: the existing
// one, or a new zeroed one, after checking flags and capacity.
func (m *hashMap) prepare(key []byte, flags uint64) (*hashElem, error) {
	if m.frozen {
		return nil, m.errf(ErrFrozen, "update")
	}
	if err := checkUpdateFlags(flags); err != nil {
		return nil, m.errf(ErrNotSupported, "%v", err)
	}
	e := m.find(key)
	switch {
	case e != nil && flags&3 == UpdateNoExist:
		return nil, m.errf(ErrKeyExist, "update with BPF_NOEXIST")
	case e == nil && flags&3 == UpdateExist:
		return nil, m.errf(ErrKeyNotExist, "update with BPF_EXIST")
	case e != nil:
		m.touch(e)
		return e, nil
	}
	if m.count >= int(m.spec.MaxEntries) {
		if !m.lru || m.old == nil {
			return nil, m.errf(ErrMapFull, "%d entries", m.count)
		}
		m.remove(m.old)
	}
	addr, err := m.mem().Alloc(m.elemSize(), 8)
	if err != nil {
		return nil, m.errf(errNoMem, "%v", err)
	}
	e = &hashElem{key: string(key), addr: addr}
	copy(m.mem().MustBytes(addr, uint64(len(key))), key)
	m.index(e)
	m.byValue[m.valueAddr(e, 0)] = e
	e.prev = m.tail
	if m.tail != nil {
		m.tail.next = e
	} else {
		m.head = e
	}
	m.tail = e
	if m.lru {
		m.link(e)
	}
	m.count++
	return e, nil
}

// link appends e to the young end of the LRU list.
func (m *hashMap) link(e *hashElem) {
	e.older, e.younger = m.young, nil
	if m.young != nil {
		m.young.younger = e
	} else {
		m.old = e
	}
	m.young = e
}

func (m *hashMap) unlink(e *hashElem) {
	if e.older != nil {
		e.older.younger = e.younger
	} else {
		m.old = e.younger
	}
	if e.younger != nil {
		e.younger.older = e.older
	} else {
		m.young = e.older
	}
	e.older, e.younger = nil, nil
}

// touch marks e as the most recently used.
func (m *hashMap) touch(e *hashElem) {
	if m.lru && m.young != e {
		m.unlink(e)
		m.link(e)
	}
}

// remove deletes e: its timers are cancelled and its memory is freed.
func (m *hashMap) remove(e *hashElem) {
	if m.lru {
		m.unlink(e)
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		m.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		m.tail = e.prev
	}
	e.prev, e.next = nil, nil
	m.unindex(e)
	va := m.valueAddr(e, 0)
	delete(m.byValue, va)
	m.vm.freeTimers(&m.mapBase, va)
	e.dead = true
	m.count--
	// Class-sized allocations are reused; others stay (Free reports them).
	_ = m.mem().Free(e.addr)
}

func (m *hashMap) Delete(key []byte) error {
	if err := m.checkKey(key); err != nil {
		return err
	}
	return m.deleteElem(key)
}

func (m *hashMap) deleteElem(key []byte) error {
	if m.frozen {
		return m.errf(ErrFrozen, "delete")
	}
	e := m.find(key)
	if e == nil {
		return m.errf(ErrKeyNotExist, "delete")
	}
	m.remove(e)
	return nil
}

func (m *hashMap) Iterate(fn func(key, value []byte) bool) {
	for _, e := range m.elems() {
		if e.dead {
			continue
		}
		if !fn([]byte(e.key), m.copyOut(e)) {
			return
		}
	}
}

// elems snapshots the elements in insertion order, so that callers may
// delete while iterating (check dead).
func (m *hashMap) elems() []*hashElem {
	out := make([]*hashElem, 0, m.count)
	for e := m.head; e != nil; e = e.next {
		out = append(out, e)
	}
	return out
}

func (m *hashMap) Len() int { return m.count }

func (m *hashMap) lookupElem(cpu int, key []byte) uint64 {
	if uint32(len(key)) != m.spec.KeySize || cpu < 0 || cpu >= m.ncpu() {
		return 0
	}
	e := m.find(key)
	if e == nil {
		return 0
	}
	m.touch(e)
	if !m.percpu {
		cpu = 0
	}
	return m.valueAddr(e, cpu)
}

// updateElem from BPF: a per-CPU map updates the calling CPU's value only
// (a new element has the other CPUs' values zeroed).
func (m *hashMap) updateElem(cpu int, key, value []byte, flags uint64) error {
	if cpu < 0 || cpu >= m.ncpu() {
		return m.errf(ErrNotSupported, "CPU %d", cpu)
	}
	e, err := m.prepare(key, flags)
	if err != nil {
		return err
	}
	if !m.percpu {
		cpu = 0
	}
	m.copyValue(m.value(e, cpu), value)
	return nil
}

// locate returns the element whose value contains a bpf_timer at addr.
func (m *hashMap) locate(addr uint64) (*hashElem, uint64, bool) {
	for _, off := range m.timers {
		if addr < uint64(off) {
			continue
		}
		if e := m.byValue[addr-uint64(off)]; e != nil {
			return e, addr - uint64(off), true
		}
	}
	return nil, 0, false
}

// find returns the element of key (KeySize bytes), or nil. Keys of up to 8
// bytes are looked up as numbers in a HashIndex, several times faster than
// a Go map keyed by string (map lookups are the most frequent helper calls
// of policies such as EEVDF), and which the JIT probes natively.
func (m *hashMap) find(key []byte) *hashElem {
	if m.nums != nil {
		return m.nums.find(numKey(key))
	}
	return m.byKey[string(key)]
}

func (m *hashMap) index(e *hashElem) {
	if m.nums != nil {
		m.nums.insert(numKey([]byte(e.key)), m.valueAddr(e, 0), e)
	} else {
		m.byKey[e.key] = e
	}
}

func (m *hashMap) unindex(e *hashElem) {
	if m.nums != nil {
		m.nums.remove(numKey([]byte(e.key)))
	} else {
		delete(m.byKey, e.key)
	}
}

// numKey is a key of at most 8 bytes as a little-endian number: for keys
// of one length (a map's KeySize) it is one-to-one.
func numKey(key []byte) uint64 {
	if len(key) == 8 {
		return binary.LittleEndian.Uint64(key)
	}
	var v uint64
	for i, b := range key {
		v |= uint64(b) << (8 * i)
	}
	return v
}
