package bpfvm

import (
	"encoding/binary"
	"fmt"
)

// taskStorage is BPF_MAP_TYPE_TASK_STORAGE: one value per task, keyed by
// the task's address (the task_struct mirror in linear memory), created by
// bpf_task_storage_get with BPF_LOCAL_STORAGE_GET_F_CREATE. In the Go-side
// API a key is the task address as a little-endian u64 (the kernel takes a
// pidfd). The embedder deletes a task's storage when the task exits.
type taskStorage struct {
	mapBase
	byTask     map[uint64]*storageElem
	head, tail *storageElem // creation order
	count      int
}

type storageElem struct {
	task       uint64
	addr       uint64
	prev, next *storageElem
}

// LocalStorageGetCreate is BPF_LOCAL_STORAGE_GET_F_CREATE.
const LocalStorageGetCreate = 1

func newTaskStorage(vm *VM, spec *MapSpec) (*taskStorage, error) {
	m := &taskStorage{byTask: map[uint64]*storageElem{}}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	if len(m.timers) > 0 {
		return nil, fmt.Errorf("bpfvm: map %s: bpf_timer in task storage is not supported", spec.Name)
	}
	return m, nil
}

func (m *taskStorage) ValueAddr(uint32) (uint64, bool) { return 0, false }

func taskKey(key []byte) (uint64, error) {
	if len(key) != 8 {
		return 0, fmt.Errorf("task storage key of %d bytes, want an 8-byte task address", len(key))
	}
	return binary.LittleEndian.Uint64(key), nil
}

func (m *taskStorage) value(e *storageElem) []byte {
	return m.mem().MustBytes(e.addr, uint64(m.spec.ValueSize))
}

func (m *taskStorage) Lookup(key []byte) ([]byte, error) {
	task, err := taskKey(key)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: map %s: %w", m.spec.Name, err)
	}
	e := m.byTask[task]
	if e == nil {
		return nil, m.errf(ErrKeyNotExist, "task %#x", task)
	}
	return append([]byte(nil), m.value(e)...), nil
}

func (m *taskStorage) Update(key, value []byte, flags uint64) error {
	task, err := taskKey(key)
	if err != nil {
		return fmt.Errorf("bpfvm: map %s: %w", m.spec.Name, err)
	}
	if err := m.checkValue(value, false); err != nil {
		return err
	}
	if err := checkUpdateFlags(flags); err != nil {
		return m.errf(ErrNotSupported, "%v", err)
	}
	e := m.byTask[task]
	switch {
	case e != nil && flags&3 == UpdateNoExist:
		return m.errf(ErrKeyExist, "task %#x", task)
	case e == nil && flags&3 == UpdateExist:
		return m.errf(ErrKeyNotExist, "task %#x", task)
	case e == nil:
		if e, err = m.create(task); err != nil {
			return err
		}
	}
	m.copyValue(m.value(e), value)
	return nil
}

func (m *taskStorage) create(task uint64) (*storageElem, error) {
	if m.spec.MaxEntries != 0 && m.count >= int(m.spec.MaxEntries) {
		return nil, m.errf(ErrMapFull, "%d tasks", m.count)
	}
	addr, err := m.mem().Alloc(m.stride, 8)
	if err != nil {
		return nil, m.errf(errNoMem, "%v", err)
	}
	e := &storageElem{task: task, addr: addr, prev: m.tail}
	if m.tail != nil {
		m.tail.next = e
	} else {
		m.head = e
	}
	m.tail = e
	m.byTask[task] = e
	m.count++
	return e, nil
}

func (m *taskStorage) Delete(key []byte) error {
	task, err := taskKey(key)
	if err != nil {
		return fmt.Errorf("bpfvm: map %s: %w", m.spec.Name, err)
	}
	return m.deleteTask(task)
}

func (m *taskStorage) deleteTask(task uint64) error {
	e := m.byTask[task]
	if e == nil {
		return m.errf(ErrKeyNotExist, "task %#x", task)
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
	delete(m.byTask, task)
	m.count--
	_ = m.mem().Free(e.addr)
	return nil
}

// Iterate visits the tasks' values in creation order; keys are the task
// addresses (u64).
func (m *taskStorage) Iterate(fn func(key, value []byte) bool) {
	var es []*storageElem
	for e := m.head; e != nil; e = e.next {
		es = append(es, e)
	}
	for _, e := range es {
		if m.byTask[e.task] != e {
			continue
		}
		if !fn(binary.LittleEndian.AppendUint64(nil, e.task), append([]byte(nil), m.value(e)...)) {
			return
		}
	}
}

func (m *taskStorage) Len() int { return m.count }

// Task storage is reached through bpf_task_storage_get/delete only.
func (m *taskStorage) lookupElem(int, []byte) uint64 { return 0 }
func (m *taskStorage) updateElem(int, []byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "bpf_map_update_elem on task storage")
}
func (m *taskStorage) deleteElem([]byte) error {
	return m.errf(ErrNotSupported, "bpf_map_delete_elem on task storage")
}

// get is bpf_task_storage_get: the value of task, created (from init, or
// zeroed when init is nil) if flags has LocalStorageGetCreate.
func (m *taskStorage) get(task uint64, init []byte, flags uint64) (uint64, error) {
	if e := m.byTask[task]; e != nil {
		return e.addr, nil
	}
	if flags&LocalStorageGetCreate == 0 {
		return 0, nil
	}
	e, err := m.create(task)
	if err != nil {
		return 0, err
	}
	if init != nil {
		m.copyValue(m.value(e), init)
	}
	return e.addr, nil
}
