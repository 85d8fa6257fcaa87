package bpfvm

import (
	"encoding/binary"
	"fmt"
)

// arrayMap is BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY: MaxEntries
// values (per CPU) preallocated in linear memory, zero-initialised. Global
// data sections (.data, .bss, .rodata...) are arrays of one entry.
type arrayMap struct {
	mapBase
	percpu bool
	data   uint64 // values: entry i of CPU c at data + (i*ncpu + c)*stride
}

func newArrayMap(vm *VM, spec *MapSpec) (*arrayMap, error) {
	m := &arrayMap{percpu: spec.Type == MapPercpuArray}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	n := uint64(spec.MaxEntries) * m.stride
	if m.percpu {
		n *= uint64(m.ncpu())
	}
	if n > maxMapBytes {
		return nil, fmt.Errorf("bpfvm: map %s: %d bytes of values is too large", spec.Name, n)
	}
	addr, err := vm.Mem.Alloc(n, 8)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: map %s: %w: %v", spec.Name, errNoMem, err)
	}
	m.data = addr
	return m, nil
}

func (m *arrayMap) slot(idx uint32, cpu int) uint64 {
	if m.percpu {
		return m.data + (uint64(idx)*uint64(m.ncpu())+uint64(cpu))*m.stride
	}
	return m.data + uint64(idx)*m.stride
}

func (m *arrayMap) value(idx uint32, cpu int) []byte {
	return m.mem().MustBytes(m.slot(idx, cpu), uint64(m.spec.ValueSize))
}

func (m *arrayMap) index(key []byte) (uint32, error) {
	if err := m.checkKey(key); err != nil {
		return 0, err
	}
	idx := binary.LittleEndian.Uint32(key)
	if idx >= m.spec.MaxEntries {
		return 0, m.errf(ErrKeyNotExist, "index %d of %d", idx, m.spec.MaxEntries)
	}
	return idx, nil
}

func (m *arrayMap) ValueAddr(off uint32) (uint64, bool) {
	if m.percpu || m.spec.MaxEntries != 1 || off >= m.spec.ValueSize {
		return 0, false
	}
	return m.data + uint64(off), true
}

func (m *arrayMap) Lookup(key []byte) ([]byte, error) {
	idx, err := m.index(key)
	if err != nil {
		return nil, err
	}
	if !m.percpu {
		return append([]byte(nil), m.value(idx, 0)...), nil
	}
	out := make([]byte, 0, m.valueLen(true))
	for c := range m.ncpu() {
		out = append(out, m.mem().MustBytes(m.slot(idx, c), m.stride)...)
	}
	return out, nil
}

func (m *arrayMap) Update(key, value []byte, flags uint64) error {
	idx, err := m.index(key)
	if err != nil {
		return err
	}
	if err := m.checkValue(value, m.percpu); err != nil {
		return err
	}
	if err := m.checkUpdate(flags); err != nil {
		return err
	}
	if !m.percpu {
		m.copyValue(m.value(idx, 0), value)
		return nil
	}
	for c := range m.ncpu() {
		m.copyValue(m.value(idx, c), value[uint64(c)*m.stride:])
	}
	return nil
}

func (m *arrayMap) checkUpdate(flags uint64) error {
	if m.frozen {
		return m.errf(ErrFrozen, "update")
	}
	if err := checkUpdateFlags(flags); err != nil {
		return m.errf(ErrNotSupported, "%v", err)
	}
	if flags&3 == UpdateNoExist {
		return m.errf(ErrKeyExist, "array entries always exist")
	}
	return nil
}

func (m *arrayMap) Delete(key []byte) error {
	if err := m.checkKey(key); err != nil {
		return err
	}
	return m.errf(ErrNotSupported, "delete from an array")
}

func (m *arrayMap) Iterate(fn func(key, value []byte) bool) {
	for i := range m.spec.MaxEntries {
		var k [4]byte
		binary.LittleEndian.PutUint32(k[:], i)
		v, err := m.Lookup(k[:])
		if err != nil || !fn(k[:], v) {
			return
		}
	}
}

func (m *arrayMap) Len() int { return int(m.spec.MaxEntries) }

func (m *arrayMap) lookupPerCPU(key []byte) ([][]byte, error) {
	idx, err := m.index(key)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, m.ncpu())
	for c := range out {
		out[c] = append([]byte(nil), m.value(idx, c)...)
	}
	return out, nil
}

func (m *arrayMap) updatePerCPU(key []byte, values [][]byte, flags uint64) error {
	if !m.percpu {
		return m.errf(ErrNotSupported, "per-CPU update of a shared array")
	}
	idx, err := m.index(key)
	if err != nil {
		return err
	}
	if err := m.checkPerCPU(values); err != nil {
		return err
	}
	if err := m.checkUpdate(flags); err != nil {
		return err
	}
	for c, v := range values {
		m.copyValue(m.value(idx, c), v)
	}
	return nil
}

func (m *mapBase) checkPerCPU(values [][]byte) error {
	if len(values) != m.ncpu() {
		return fmt.Errorf("bpfvm: map %s: %d per-CPU values, want %d", m.spec.Name, len(values), m.ncpu())
	}
	for c, v := range values {
		if uint32(len(v)) != m.spec.ValueSize {
			return fmt.Errorf("bpfvm: map %s: value of CPU %d has %d bytes, want %d", m.spec.Name, c, len(v), m.spec.ValueSize)
		}
	}
	return nil
}

func (m *arrayMap) lookupElem(cpu int, key []byte) uint64 {
	if uint32(len(key)) != 4 || cpu < 0 || cpu >= m.ncpu() {
		return 0
	}
	idx := binary.LittleEndian.Uint32(key)
	if idx >= m.spec.MaxEntries {
		return 0
	}
	if !m.percpu {
		cpu = 0
	}
	return m.slot(idx, cpu)
}

func (m *arrayMap) updateElem(cpu int, key, value []byte, flags uint64) error {
	idx, err := m.index(key)
	if err != nil {
		return err
	}
	if err := m.checkUpdate(flags); err != nil {
		return err
	}
	if !m.percpu {
		cpu = 0
	}
	m.copyValue(m.value(idx, cpu), value)
	return nil
}

func (m *arrayMap) deleteElem(key []byte) error { return m.Delete(key) }

// locate returns the value and index of the entry containing addr.
func (m *arrayMap) locate(addr uint64) (value uint64, idx uint32, ok bool) {
	if m.percpu || addr < m.data {
		return 0, 0, false
	}
	i := (addr - m.data) / m.stride
	if i >= uint64(m.spec.MaxEntries) {
		return 0, 0, false
	}
	return m.data + i*m.stride, uint32(i), true
}
