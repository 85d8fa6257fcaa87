package bpfvm

import "fmt"

// queueMap is BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO): a
// ring of MaxEntries values in linear memory. Values are copied in and out;
// BPF never holds pointers into it.
type queueMap struct {
	mapBase
	stack bool
	data  uint64
	first uint32 // ring index of the oldest value
	count uint32
}

func newQueueMap(vm *VM, spec *MapSpec) (*queueMap, error) {
	m := &queueMap{stack: spec.Type == MapStack}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	if len(m.special) > 0 {
		return nil, fmt.Errorf("bpfvm: map %s: queue and stack values cannot hold timers or locks", spec.Name)
	}
	n := uint64(spec.MaxEntries) * m.stride
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

func (m *queueMap) at(i uint32) []byte {
	slot := (uint64(m.first) + uint64(i)) % uint64(m.spec.MaxEntries)
	return m.mem().MustBytes(m.data+slot*m.stride, uint64(m.spec.ValueSize))
}

func (m *queueMap) ValueAddr(uint32) (uint64, bool) { return 0, false }

// Push adds value. A full map fails with ErrMapFull unless flags is
// UpdateExist, which drops the oldest value (as the kernel does).
func (m *queueMap) Push(value []byte, flags uint64) error {
	if uint32(len(value)) != m.spec.ValueSize {
		return fmt.Errorf("bpfvm: map %s: value of %d bytes, want %d", m.spec.Name, len(value), m.spec.ValueSize)
	}
	if flags != UpdateAny && flags != UpdateExist {
		return m.errf(ErrNotSupported, "push flags %#x", flags)
	}
	if m.frozen {
		return m.errf(ErrFrozen, "push")
	}
	if m.count == m.spec.MaxEntries {
		if flags != UpdateExist {
			return m.errf(ErrMapFull, "%d values", m.count)
		}
		m.first = (m.first + 1) % m.spec.MaxEntries
		m.count--
	}
	copy(m.at(m.count), value)
	m.count++
	return nil
}

// next returns the index of the value Pop and Peek return.
func (m *queueMap) next() (uint32, error) {
	if m.count == 0 {
		return 0, m.errf(ErrKeyNotExist, "empty")
	}
	if m.stack {
		return m.count - 1, nil
	}
	return 0, nil
}

func (m *queueMap) Peek() ([]byte, error) {
	i, err := m.next()
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), m.at(i)...), nil
}

func (m *queueMap) Pop() ([]byte, error) {
	v, err := m.Peek()
	if err != nil {
		return nil, err
	}
	if m.frozen {
		return nil, m.errf(ErrFrozen, "pop")
	}
	m.pop()
	return v, nil
}

func (m *queueMap) pop() {
	if !m.stack {
		m.first = (m.first + 1) % m.spec.MaxEntries
	}
	m.count--
}

// Lookup peeks (the key must be empty), as BPF_MAP_LOOKUP_ELEM does.
func (m *queueMap) Lookup(key []byte) ([]byte, error) {
	if len(key) != 0 {
		return nil, fmt.Errorf("bpfvm: map %s: queues and stacks have no keys", m.spec.Name)
	}
	return m.Peek()
}

// Update pushes (the key must be empty), as BPF_MAP_UPDATE_ELEM does.
func (m *queueMap) Update(key, value []byte, flags uint64) error {
	if len(key) != 0 {
		return fmt.Errorf("bpfvm: map %s: queues and stacks have no keys", m.spec.Name)
	}
	return m.Push(value, flags)
}

func (m *queueMap) Delete([]byte) error {
	return m.errf(ErrNotSupported, "delete from a queue or stack (use Pop)")
}

// Iterate visits the values from the oldest to the newest, with nil keys.
func (m *queueMap) Iterate(fn func(key, value []byte) bool) {
	for i := range m.count {
		if !fn(nil, append([]byte(nil), m.at(i)...)) {
			return
		}
	}
}

func (m *queueMap) Len() int { return int(m.count) }

func (m *queueMap) lookupElem(int, []byte) uint64 { return 0 }

func (m *queueMap) updateElem(_ int, key, value []byte, flags uint64) error {
	return m.Update(key, value, flags)
}

func (m *queueMap) deleteElem([]byte) error { return m.Delete(nil) }

// peekInto copies the next value into dst and pops it if pop is set.
func (m *queueMap) peekInto(dst []byte, pop bool) error {
	i, err := m.next()
	if err != nil {
		return err
	}
	if pop && m.frozen {
		return m.errf(ErrFrozen, "pop")
	}
	copy(dst, m.at(i))
	if pop {
		m.pop()
	}
	return nil
}
