package bpfvm

import (
	"encoding/binary"
	"fmt"
)

// arrayOfMaps is BPF_MAP_TYPE_ARRAY_OF_MAPS. A slot holds another map of
// the same VM; from BPF, bpf_map_lookup_elem returns the inner map's
// address (usable as a map argument), or NULL for an empty slot. In the
// Go-side API a value is the inner map's VM map index (u32, little endian)
// where the kernel has a map file descriptor.
type arrayOfMaps struct {
	mapBase
	slots []int32 // VM map index + 1; 0: empty
}

func newArrayOfMaps(vm *VM, spec *MapSpec) (*arrayOfMaps, error) {
	if spec.Inner == nil {
		return nil, fmt.Errorf("bpfvm: map %s: array of maps without an inner map template", spec.Name)
	}
	if spec.MaxEntries > 1<<20 {
		return nil, fmt.Errorf("bpfvm: map %s: %d entries is too many", spec.Name, spec.MaxEntries)
	}
	m := &arrayOfMaps{slots: make([]int32, spec.MaxEntries)}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *arrayOfMaps) ValueAddr(uint32) (uint64, bool) { return 0, false }

func (m *arrayOfMaps) index(key []byte) (uint32, error) {
	if err := m.checkKey(key); err != nil {
		return 0, err
	}
	idx := binary.LittleEndian.Uint32(key)
	if idx >= m.spec.MaxEntries {
		return 0, m.errf(ErrKeyNotExist, "index %d of %d", idx, m.spec.MaxEntries)
	}
	return idx, nil
}

func (m *arrayOfMaps) Lookup(key []byte) ([]byte, error) {
	idx, err := m.index(key)
	if err != nil {
		return nil, err
	}
	if m.slots[idx] == 0 {
		return nil, m.errf(ErrKeyNotExist, "slot %d is empty", idx)
	}
	return binary.LittleEndian.AppendUint32(nil, uint32(m.slots[idx]-1)), nil
}

// Update puts the map of VM map index value (u32) in slot key. The inner map
// must match the template: same type, key size and value size.
func (m *arrayOfMaps) Update(key, value []byte, flags uint64) error {
	idx, err := m.index(key)
	if err != nil {
		return err
	}
	if len(value) != 4 {
		return fmt.Errorf("bpfvm: map %s: value of %d bytes, want a 4-byte map index", m.spec.Name, len(value))
	}
	if err := checkUpdateFlags(flags); err != nil {
		return m.errf(ErrNotSupported, "%v", err)
	}
	if flags&3 == UpdateNoExist {
		return m.errf(ErrKeyExist, "array entries always exist")
	}
	return m.set(idx, int(binary.LittleEndian.Uint32(value)))
}

func (m *arrayOfMaps) set(idx uint32, vmIndex int) error {
	if m.frozen {
		return m.errf(ErrFrozen, "update")
	}
	if vmIndex < 0 || vmIndex >= len(m.vm.Maps) || m.vm.Maps[vmIndex] == nil {
		return fmt.Errorf("bpfvm: map %s: no map with VM index %d", m.spec.Name, vmIndex)
	}
	in, tpl := m.vm.Maps[vmIndex].Spec(), m.spec.Inner
	if in.Type != tpl.Type || in.KeySize != tpl.KeySize || in.ValueSize != tpl.ValueSize {
		return fmt.Errorf("bpfvm: map %s: inner map %s (%s, key %d, value %d) does not match the template (%s, key %d, value %d)",
			m.spec.Name, in.Name, mapTypeName(in.Type), in.KeySize, in.ValueSize, mapTypeName(tpl.Type), tpl.KeySize, tpl.ValueSize)
	}
	m.slots[idx] = int32(vmIndex) + 1
	return nil
}

func (m *arrayOfMaps) Delete(key []byte) error {
	idx, err := m.index(key)
	if err != nil {
		return err
	}
	if m.slots[idx] == 0 {
		return m.errf(ErrKeyNotExist, "slot %d is empty", idx)
	}
	m.slots[idx] = 0
	return nil
}

// Iterate visits the filled slots in index order.
func (m *arrayOfMaps) Iterate(fn func(key, value []byte) bool) {
	for i, s := range m.slots {
		if s == 0 {
			continue
		}
		k := binary.LittleEndian.AppendUint32(nil, uint32(i))
		if !fn(k, binary.LittleEndian.AppendUint32(nil, uint32(s-1))) {
			return
		}
	}
}

func (m *arrayOfMaps) Len() int {
	n := 0
	for _, s := range m.slots {
		if s != 0 {
			n++
		}
	}
	return n
}

// lookupElem returns the inner map's address.
func (m *arrayOfMaps) lookupElem(_ int, key []byte) uint64 {
	if len(key) != 4 {
		return 0
	}
	idx := binary.LittleEndian.Uint32(key)
	if idx >= m.spec.MaxEntries || m.slots[idx] == 0 {
		return 0
	}
	i := int(m.slots[idx] - 1)
	if i >= len(m.vm.Maps) || m.vm.Maps[i] == nil {
		return 0
	}
	return m.vm.Maps[i].Addr()
}

func (m *arrayOfMaps) updateElem(int, []byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update of a map-in-map from BPF")
}

func (m *arrayOfMaps) deleteElem([]byte) error {
	return m.errf(ErrNotSupported, "delete from a map-in-map from BPF")
}
