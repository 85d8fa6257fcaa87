package bpfvm

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/cilium/ebpf/btf"
)

func u32b(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64b(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// mapEnv is a VM with the map helpers and a scratch area for helper
// arguments.
type mapEnv struct {
	t   *testing.T
	vm  *VM
	c   *Context
	buf uint64 // 256 scratch bytes
}

func newMapEnv(t *testing.T, cpus int) *mapEnv {
	vm := newLoaderVM(t, cpus, nil)
	buf, err := vm.Mem.Alloc(256, 8)
	if err != nil {
		t.Fatal(err)
	}
	return &mapEnv{t: t, vm: vm, c: &Context{VM: vm}, buf: buf}
}

func (e *mapEnv) newMap(spec MapSpec) Map {
	e.t.Helper()
	if spec.Name == "" {
		spec.Name = "m"
	}
	m, _, err := e.vm.NewMap(&spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// arg copies b into scratch memory at offset off and returns its address.
func (e *mapEnv) arg(off uint64, b []byte) uint64 {
	copy(e.vm.Mem.MustBytes(e.buf+off, uint64(len(b))), b)
	return e.buf + off
}

// call calls helper id on CPU cpu.
func (e *mapEnv) call(cpu int, id int32, args ...uint64) uint64 {
	e.t.Helper()
	h := e.vm.Registry.Helper(id)
	if h == nil {
		e.t.Fatalf("helper %d is not registered", id)
	}
	var r [5]uint64
	copy(r[:], args)
	e.c.CPU = cpu
	ret, err := h.Fn(e.c, r[0], r[1], r[2], r[3], r[4])
	if err != nil {
		e.t.Fatalf("%s: %v", h.Name, err)
	}
	return ret
}

func errno(ret uint64) int64 { return -int64(ret) }

func TestArrayMap(t *testing.T) {
	e := newMapEnv(t, 2)
	m := e.newMap(MapSpec{Type: MapArray, KeySize: 4, ValueSize: 12, MaxEntries: 3})
	if err := m.Update(u32b(1), []byte("hello world!"), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if v, err := m.Lookup(u32b(1)); err != nil || string(v) != "hello world!" {
		t.Errorf("Lookup = %q, %v", v, err)
	}
	if _, err := m.Lookup(u32b(3)); !errors.Is(err, ErrKeyNotExist) {
		t.Errorf("out of range: %v", err)
	}
	if err := m.Update(u32b(0), make([]byte, 12), UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Errorf("NOEXIST: %v", err)
	}
	if err := m.Delete(u32b(0)); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Delete: %v", err)
	}
	if _, err := m.Lookup([]byte{1}); err == nil {
		t.Error("short key accepted")
	}
	if err := m.Update(u32b(0), make([]byte, 11), 0); err == nil {
		t.Error("short value accepted")
	}
	var keys []uint32
	m.Iterate(func(k, v []byte) bool { keys = append(keys, binary.LittleEndian.Uint32(k)); return true })
	if !slices.Equal(keys, []uint32{0, 1, 2}) || m.Len() != 3 {
		t.Errorf("keys %v, Len %d", keys, m.Len())
	}
	// BPF side: the value's address, in linear memory.
	addr := e.call(0, HelperMapLookupElem, m.Addr(), e.arg(0, u32b(1)))
	if addr == 0 || string(e.vm.Mem.MustBytes(addr, 12)) != "hello world!" {
		t.Fatalf("lookup = %#x", addr)
	}
	if e.call(0, HelperMapLookupElem, m.Addr(), e.arg(0, u32b(7))) != 0 {
		t.Error("lookup of index 7 is not NULL")
	}
	if r := e.call(0, HelperMapUpdateElem, m.Addr(), e.arg(0, u32b(2)), e.arg(8, []byte("abcdefghijkl")), UpdateAny); r != 0 {
		t.Errorf("update = %d", errno(r))
	}
	if v, _ := m.Lookup(u32b(2)); string(v) != "abcdefghijkl" {
		t.Errorf("after BPF update: %q", v)
	}
	if r := e.call(0, HelperMapDeleteElem, m.Addr(), e.arg(0, u32b(2))); errno(r) != errnoEINVAL {
		t.Errorf("delete = %d", errno(r))
	}
	if _, ok := m.ValueAddr(0); ok {
		t.Error("direct value access to a 3-entry array")
	}
	one := e.newMap(MapSpec{Type: MapArray, KeySize: 4, ValueSize: 16, MaxEntries: 1})
	if a, ok := one.ValueAddr(8); !ok || a != e.call(0, HelperMapLookupElem, one.Addr(), e.arg(0, u32b(0)))+8 {
		t.Errorf("ValueAddr(8) = %#x, %v", a, ok)
	}
	if _, ok := one.ValueAddr(16); ok {
		t.Error("ValueAddr past the value")
	}
}

func TestPerCPUArray(t *testing.T) {
	e := newMapEnv(t, 3)
	m := e.newMap(MapSpec{Type: MapPercpuArray, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	pm, ok := m.(PerCPUMap)
	if !ok {
		t.Fatal("not a PerCPUMap")
	}
	if err := pm.UpdatePerCPU(u32b(1), [][]byte{u32b(10), u32b(11), u32b(12)}, 0); err != nil {
		t.Fatal(err)
	}
	// The kernel's user-space layout: one 8-byte-aligned slot per CPU.
	v, err := m.Lookup(u32b(1))
	if err != nil || len(v) != 24 || binary.LittleEndian.Uint32(v[8:]) != 11 || binary.LittleEndian.Uint32(v[16:]) != 12 {
		t.Errorf("Lookup = % x, %v", v, err)
	}
	for cpu := range 3 {
		a := e.call(cpu, HelperMapLookupElem, m.Addr(), e.arg(0, u32b(1)))
		if got := e.vm.Mem.Load32(a); got != uint32(10+cpu) {
			t.Errorf("CPU %d sees %d", cpu, got)
		}
	}
	// A BPF update writes the calling CPU's value only.
	e.call(2, HelperMapUpdateElem, m.Addr(), e.arg(0, u32b(1)), e.arg(8, u32b(99)), 0)
	vals, _ := pm.LookupPerCPU(u32b(1))
	if got := []uint32{binary.LittleEndian.Uint32(vals[0]), binary.LittleEndian.Uint32(vals[1]), binary.LittleEndian.Uint32(vals[2])}; !slices.Equal(got, []uint32{10, 11, 99}) {
		t.Errorf("per-CPU values %v", got)
	}
	a := e.call(0, HelperMapLookupPercpuElem, m.Addr(), e.arg(0, u32b(1)), 1)
	if a == 0 || e.vm.Mem.Load32(a) != 11 {
		t.Errorf("lookup_percpu_elem(cpu 1) = %#x", a)
	}
	if e.call(0, HelperMapLookupPercpuElem, m.Addr(), e.arg(0, u32b(1)), 3) != 0 {
		t.Error("lookup_percpu_elem(cpu 3) is not NULL")
	}
	shared := e.newMap(MapSpec{Type: MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	if e.call(0, HelperMapLookupPercpuElem, shared.Addr(), e.arg(0, u32b(1)), 0) != 0 {
		t.Error("lookup_percpu_elem on a shared array is not NULL")
	}
	if err := pm.UpdatePerCPU(u32b(0), [][]byte{u32b(1)}, 0); err == nil {
		t.Error("UpdatePerCPU with one value for three CPUs")
	}
}

func TestHashMap(t *testing.T) {
	e := newMapEnv(t, 1)
	m := e.newMap(MapSpec{Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 3})
	for _, k := range []uint32{30, 10, 20} {
		if err := m.Update(u32b(k), u64b(uint64(k)*2), UpdateNoExist); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Update(u32b(40), u64b(1), UpdateAny); !errors.Is(err, ErrMapFull) {
		t.Errorf("insert into a full map: %v", err)
	}
	if err := m.Update(u32b(10), u64b(1), UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Errorf("NOEXIST on a present key: %v", err)
	}
	if err := m.Update(u32b(11), u64b(1), UpdateExist); !errors.Is(err, ErrKeyNotExist) {
		t.Errorf("EXIST on an absent key: %v", err)
	}
	keys := func() (ks []uint32) {
		m.Iterate(func(k, v []byte) bool {
			ks = append(ks, binary.LittleEndian.Uint32(k))
			if binary.LittleEndian.Uint64(v) == 0 {
				t.Errorf("key %d has value 0", binary.LittleEndian.Uint32(k))
			}
			return true
		})
		return ks
	}
	if got := keys(); !slices.Equal(got, []uint32{30, 10, 20}) {
		t.Errorf("iteration order %v, want insertion order", got)
	}
	// BPF side: lookup returns the value's address; writes through it are
	// seen by the Go side.
	a := e.call(0, HelperMapLookupElem, m.Addr(), e.arg(0, u32b(10)))
	if a == 0 || e.vm.Mem.Load64(a) != 20 {
		t.Fatalf("lookup(10) = %#x", a)
	}
	e.vm.Mem.Store64(a, 777)
	if v, _ := m.Lookup(u32b(10)); binary.LittleEndian.Uint64(v) != 777 {
		t.Errorf("value after a store through the pointer: %d", binary.LittleEndian.Uint64(v))
	}
	if r := e.call(0, HelperMapDeleteElem, m.Addr(), e.arg(0, u32b(30))); r != 0 {
		t.Errorf("delete = %d", errno(r))
	}
	if r := e.call(0, HelperMapDeleteElem, m.Addr(), e.arg(0, u32b(30))); errno(r) != errnoENOENT {
		t.Errorf("second delete = %d, want -ENOENT", errno(r))
	}
	if r := e.call(0, HelperMapUpdateElem, m.Addr(), e.arg(0, u32b(5)), e.arg(8, u64b(5)), UpdateNoExist); r != 0 {
		t.Errorf("update = %d", errno(r))
	}
	if r := e.call(0, HelperMapUpdateElem, m.Addr(), e.arg(0, u32b(6)), e.arg(8, u64b(6)), UpdateAny); errno(r) != errnoE2BIG {
		t.Errorf("update of a full map = %d, want -E2BIG", errno(r))
	}
	if got := keys(); !slices.Equal(got, []uint32{10, 20, 5}) || m.Len() != 3 {
		t.Errorf("keys %v, Len %d", got, m.Len())
	}
	if e.call(0, HelperMapLookupElem, m.Addr(), e.arg(0, u32b(30))) != 0 {
		t.Error("deleted key found")
	}
	// Deleting inside Iterate is allowed.
	m.Iterate(func(k, _ []byte) bool { _ = m.Delete(k); return true })
	if m.Len() != 0 || len(keys()) != 0 {
		t.Errorf("%d entries left", m.Len())
	}
}

func TestLRUHash(t *testing.T) {
	e := newMapEnv(t, 2)
	m := e.newMap(MapSpec{Type: MapLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 3})
	for _, k := range []uint32{1, 2, 3} {
		if err := m.Update(u32b(k), u64b(uint64(k)), 0); err != nil {
			t.Fatal(err)
		}
	}
	// A BPF lookup of 1 makes 2 the least recently used; a Go lookup of 2
	// does not count as a use.
	e.call(0, HelperMapLookupElem, m.Addr(), e.arg(0, u32b(1)))
	if _, err := m.Lookup(u32b(2)); err != nil {
		t.Fatal(err)
	}
	if r := e.call(0, HelperMapUpdateElem, m.Addr(), e.arg(0, u32b(4)), e.arg(8, u64b(4)), 0); r != 0 {
		t.Fatalf("insert into a full LRU map = %d", errno(r))
	}
	if _, err := m.Lookup(u32b(2)); !errors.Is(err, ErrKeyNotExist) {
		t.Errorf("2 was not evicted: %v", err)
	}
	// An update of 3 makes 1 the oldest.
	_ = m.Update(u32b(3), u64b(33), UpdateExist)
	_ = m.Update(u32b(5), u64b(5), 0)
	var ks []uint32
	m.Iterate(func(k, _ []byte) bool { ks = append(ks, binary.LittleEndian.Uint32(k)); return true })
	if !slices.Equal(ks, []uint32{3, 4, 5}) {
		t.Errorf("keys %v, want [3 4 5]", ks)
	}

	pm := e.newMap(MapSpec{Type: MapLRUPercpuHash, KeySize: 4, ValueSize: 8, MaxEntries: 1}).(PerCPUMap)
	e.call(1, HelperMapUpdateElem, pm.Addr(), e.arg(0, u32b(9)), e.arg(8, u64b(90)), 0)
	vals, err := pm.LookupPerCPU(u32b(9))
	if err != nil || binary.LittleEndian.Uint64(vals[0]) != 0 || binary.LittleEndian.Uint64(vals[1]) != 90 {
		t.Errorf("per-CPU values %v, %v", vals, err)
	}
	e.call(0, HelperMapUpdateElem, pm.Addr(), e.arg(0, u32b(8)), e.arg(8, u64b(80)), 0)
	if _, err := pm.Lookup(u32b(9)); !errors.Is(err, ErrKeyNotExist) || pm.Len() != 1 {
		t.Errorf("9 not evicted from a 1-entry LRU map: %v", err)
	}
}

func TestQueueStack(t *testing.T) {
	e := newMapEnv(t, 1)
	q := e.newMap(MapSpec{Type: MapQueue, ValueSize: 4, MaxEntries: 3}).(QueueMap)
	s := e.newMap(MapSpec{Type: MapStack, ValueSize: 4, MaxEntries: 3}).(QueueMap)
	for _, v := range []uint32{1, 2, 3} {
		if r := e.call(0, HelperMapPushElem, q.Addr(), e.arg(0, u32b(v)), 0); r != 0 {
			t.Fatalf("push = %d", errno(r))
		}
		if err := s.Push(u32b(v), 0); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.call(0, HelperMapPushElem, q.Addr(), e.arg(0, u32b(4)), 0); errno(r) != errnoE2BIG {
		t.Errorf("push to a full queue = %d", errno(r))
	}
	// BPF_EXIST drops the oldest.
	if r := e.call(0, HelperMapPushElem, q.Addr(), e.arg(0, u32b(4)), UpdateExist); r != 0 {
		t.Errorf("push with BPF_EXIST = %d", errno(r))
	}
	if r := e.call(0, HelperMapPeekElem, q.Addr(), e.arg(16, make([]byte, 4))); r != 0 || e.vm.Mem.Load32(e.buf+16) != 2 {
		t.Errorf("peek = %d, value %d", errno(r), e.vm.Mem.Load32(e.buf+16))
	}
	var got []uint32
	for {
		r := e.call(0, HelperMapPopElem, q.Addr(), e.buf+16)
		if r != 0 {
			if errno(r) != errnoENOENT {
				t.Errorf("pop of an empty queue = %d", errno(r))
			}
			break
		}
		got = append(got, e.vm.Mem.Load32(e.buf+16))
	}
	if !slices.Equal(got, []uint32{2, 3, 4}) {
		t.Errorf("queue pops %v", got)
	}
	if v, err := s.Peek(); err != nil || binary.LittleEndian.Uint32(v) != 3 {
		t.Errorf("stack peek %v %v", v, err)
	}
	var all []uint32
	s.Iterate(func(k, v []byte) bool { all = append(all, binary.LittleEndian.Uint32(v)); return k == nil })
	if !slices.Equal(all, []uint32{1, 2, 3}) {
		t.Errorf("stack contents %v", all)
	}
	got = got[:0]
	for {
		v, err := s.Pop()
		if err != nil {
			if !errors.Is(err, ErrKeyNotExist) {
				t.Errorf("pop of an empty stack: %v", err)
			}
			break
		}
		got = append(got, binary.LittleEndian.Uint32(v))
	}
	if !slices.Equal(got, []uint32{3, 2, 1}) {
		t.Errorf("stack pops %v", got)
	}
	arr := e.newMap(MapSpec{Type: MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if r := e.call(0, HelperMapPushElem, arr.Addr(), e.buf, 0); errno(r) != errnoEINVAL {
		t.Errorf("push to an array = %d", errno(r))
	}
}

func TestArrayOfMaps(t *testing.T) {
	e := newMapEnv(t, 1)
	inner := &MapSpec{Name: "inner", Type: MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}
	a, ai, _ := e.vm.NewMap(inner)
	_, bi, _ := e.vm.NewMap(&MapSpec{Name: "other", Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	outer := e.newMap(MapSpec{Name: "outer", Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, Inner: inner})
	if err := outer.Update(u32b(1), u32b(uint32(ai)), 0); err != nil {
		t.Fatal(err)
	}
	if err := outer.Update(u32b(0), u32b(uint32(bi)), 0); err == nil {
		t.Error("a hash accepted as an inner array")
	}
	if got := e.call(0, HelperMapLookupElem, outer.Addr(), e.arg(0, u32b(1))); got != a.Addr() {
		t.Errorf("lookup = %#x, want the inner map %#x", got, a.Addr())
	}
	if got := e.call(0, HelperMapLookupElem, outer.Addr(), e.arg(0, u32b(0))); got != 0 {
		t.Errorf("empty slot = %#x", got)
	}
	// The inner map works as a map argument.
	if v := e.call(0, HelperMapLookupElem, a.Addr(), e.arg(0, u32b(0))); v == 0 {
		t.Error("inner lookup failed")
	}
	if v, err := outer.Lookup(u32b(1)); err != nil || binary.LittleEndian.Uint32(v) != uint32(ai) {
		t.Errorf("Lookup = %v, %v", v, err)
	}
	if err := outer.Delete(u32b(1)); err != nil || outer.Len() != 0 {
		t.Errorf("Delete: %v, Len %d", err, outer.Len())
	}
}

func TestTaskStorage(t *testing.T) {
	e := newMapEnv(t, 1)
	m := e.newMap(MapSpec{Type: MapTaskStorage, KeySize: 4, ValueSize: 16, Flags: 1})
	task1, _ := e.vm.Mem.Alloc(64, 8)
	task2, _ := e.vm.Mem.Alloc(64, 8)
	if got := e.call(0, HelperTaskStorageGet, m.Addr(), task1, 0, 0); got != 0 {
		t.Errorf("get without CREATE = %#x", got)
	}
	v1 := e.call(0, HelperTaskStorageGet, m.Addr(), task1, 0, LocalStorageGetCreate)
	if v1 == 0 || e.vm.Mem.Load64(v1) != 0 {
		t.Fatalf("create = %#x", v1)
	}
	e.vm.Mem.Store64(v1, 5)
	if got := e.call(0, HelperTaskStorageGet, m.Addr(), task1, 0, LocalStorageGetCreate); got != v1 {
		t.Errorf("second get = %#x, want %#x", got, v1)
	}
	init := e.arg(32, append(u64b(7), u64b(8)...))
	v2 := e.call(0, HelperTaskStorageGet, m.Addr(), task2, init, LocalStorageGetCreate)
	if v2 == 0 || v2 == v1 || e.vm.Mem.Load64(v2+8) != 8 {
		t.Errorf("create with init = %#x", v2)
	}
	if got := e.call(0, HelperTaskStorageGet, m.Addr(), 0, 0, LocalStorageGetCreate); got != 0 {
		t.Errorf("get of a NULL task = %#x", got)
	}
	if got := e.call(0, HelperTaskStorageGet, m.Addr(), task1, 0, 2); got != 0 {
		t.Errorf("get with bad flags = %#x", got)
	}
	var tasks []uint64
	m.Iterate(func(k, v []byte) bool { tasks = append(tasks, binary.LittleEndian.Uint64(k)); return true })
	if !slices.Equal(tasks, []uint64{task1, task2}) {
		t.Errorf("tasks %#x", tasks)
	}
	if v, err := m.Lookup(u64b(task1)); err != nil || binary.LittleEndian.Uint64(v) != 5 {
		t.Errorf("Lookup = %v, %v", v, err)
	}
	if r := e.call(0, HelperTaskStorageDelete, m.Addr(), task1); r != 0 {
		t.Errorf("delete = %d", errno(r))
	}
	if r := e.call(0, HelperTaskStorageDelete, m.Addr(), task1); errno(r) != errnoENOENT {
		t.Errorf("second delete = %d", errno(r))
	}
	if m.Len() != 1 {
		t.Errorf("Len = %d", m.Len())
	}
	if e.call(0, HelperMapLookupElem, m.Addr(), e.arg(0, u32b(0))) != 0 {
		t.Error("bpf_map_lookup_elem on task storage is not NULL")
	}
}

func TestProbeRead(t *testing.T) {
	e := newMapEnv(t, 1)
	src := e.arg(0, []byte("comm-name\x00junk"))
	dst := e.buf + 64
	if r := e.call(0, HelperProbeReadKernel, dst, 4, src); r != 0 || string(e.vm.Mem.MustBytes(dst, 4)) != "comm" {
		t.Errorf("probe_read = %d", errno(r))
	}
	if r := e.call(0, HelperProbeReadKernel, dst, 4, 16); errno(r) != errnoEFAULT || e.vm.Mem.Load32(dst) != 0 {
		t.Errorf("probe_read of a bad address = %d", errno(r))
	}
	if r := e.call(0, HelperProbeReadKernelStr, dst, 32, src); r != 10 || string(e.vm.Mem.MustBytes(dst, 10)) != "comm-name\x00" {
		t.Errorf("probe_read_str = %d, %q", r, e.vm.Mem.MustBytes(dst, 10))
	}
	if r := e.call(0, HelperProbeReadKernelStr, dst, 5, src); r != 5 || string(e.vm.Mem.MustBytes(dst, 5)) != "comm\x00" {
		t.Errorf("truncated probe_read_str = %d, %q", r, e.vm.Mem.MustBytes(dst, 5))
	}
	// A faulting destination is a program fault, not an errno.
	h := e.vm.Registry.Helper(HelperProbeReadKernel)
	if _, err := h.Fn(e.c, 8, 4, src, 0, 0); err == nil {
		t.Error("probe_read into a bad destination did not fault")
	}
}

func TestHelperFaults(t *testing.T) {
	e := newMapEnv(t, 1)
	m := e.newMap(MapSpec{Type: MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	lookup := e.vm.Registry.Helper(HelperMapLookupElem)
	if _, err := lookup.Fn(e.c, 12345, e.buf, 0, 0, 0); err == nil {
		t.Error("lookup in a non-map did not fault")
	}
	if _, err := lookup.Fn(e.c, m.Addr(), 8, 0, 0, 0); err == nil {
		t.Error("lookup with a key outside memory did not fault")
	}
	e.c.CPU = 5
	if _, err := lookup.Fn(e.c, m.Addr(), e.buf, 0, 0, 0); err == nil {
		t.Error("lookup from CPU 5 of a 1-CPU VM did not fault")
	}
	if h := e.vm.Registry.Helper(HelperMapUpdateElem); h.Args[0] != ArgConstMapPtr || h.Args[2] != ArgPtrToMapValue || !h.LockSafe {
		t.Errorf("bpf_map_update_elem prototype %+v", h)
	}
	if h := e.vm.Registry.Helper(HelperTimerSetCallback); h.Args[1] != ArgPtrToFunc || h.LockSafe {
		t.Errorf("bpf_timer_set_callback prototype %+v", h)
	}
}

// Update does not overwrite bpf_timer / bpf_spin_lock fields.
func TestSpecialFieldsKept(t *testing.T) {
	e := newMapEnv(t, 1)
	u64 := &btf.Int{Name: "u64", Size: 8}
	timer := &btf.Struct{Name: "bpf_timer", Size: 16, Members: []btf.Member{{Name: "a", Type: u64}, {Name: "b", Type: u64, Offset: 64}}}
	lock := &btf.Struct{Name: "bpf_spin_lock", Size: 4, Members: []btf.Member{{Name: "val", Type: &btf.Int{Name: "u32", Size: 4}}}}
	val := &btf.Struct{Name: "v", Size: 32, Members: []btf.Member{
		{Name: "x", Type: u64}, {Name: "t", Type: timer, Offset: 64}, {Name: "l", Type: lock, Offset: 192}}}
	m := e.newMap(MapSpec{Type: MapHash, KeySize: 4, ValueSize: 32, MaxEntries: 2, Value: val})
	ones := slices.Repeat([]byte{0xff}, 32)
	if err := m.Update(u32b(1), ones, 0); err != nil {
		t.Fatal(err)
	}
	v, _ := m.Lookup(u32b(1))
	want := append(slices.Repeat([]byte{0xff}, 8), make([]byte, 20)...)
	want = append(want, 0xff, 0xff, 0xff, 0xff)
	if !slices.Equal(v, want) {
		t.Errorf("value % x\nwant    % x", v, want)
	}
}

func TestNewMapErrors(t *testing.T) {
	vm := newLoaderVM(t, 1, nil)
	for _, tc := range []struct {
		spec MapSpec
		want string
	}{
		{MapSpec{Name: "rb", Type: MapRingbuf, MaxEntries: 4096, ValueSize: 1}, "ringbuf"},
		{MapSpec{Name: "a", Type: MapArray, KeySize: 8, ValueSize: 4, MaxEntries: 1}, "key size 8"},
		{MapSpec{Name: "h", Type: MapHash, KeySize: 4, ValueSize: 4}, "max_entries is 0"},
		{MapSpec{Name: "q", Type: MapQueue, KeySize: 4, ValueSize: 4, MaxEntries: 1}, "key size 4, want 0"},
		{MapSpec{Name: "big", Type: MapArray, KeySize: 4, ValueSize: 1 << 20, MaxEntries: 1 << 20}, "too large"},
		{MapSpec{Name: "oom", Type: MapArray, KeySize: 4, ValueSize: 1 << 20, MaxEntries: 1 << 10}, "out of linear memory"},
		{MapSpec{Name: "aom", Type: MapArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1}, "inner map"},
	} {
		_, _, err := vm.NewMap(&tc.spec)
		wantErr(t, err, tc.spec.Name, tc.want)
	}
	if len(vm.Maps) != 0 {
		t.Errorf("%d maps after failures", len(vm.Maps))
	}
}

// TestUnmodelledMap: a map of a type schedsim does not simulate (here a
// program array and a bloom filter) loads as an empty placeholder; the verifier rejects its
// users as not modelled.
func TestUnmodelledMap(t *testing.T) {
	vm := newLoaderVM(t, 1, nil)
	for _, spec := range []MapSpec{
		{Name: "progs", Type: 3, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Name: "bloom", Type: 30, ValueSize: 4, MaxEntries: 8},
	} {
		if MapTypeModelled(spec.Type) {
			t.Fatalf("%s: type %d modelled", spec.Name, spec.Type)
		}
		m, _, err := vm.NewMap(&spec)
		if err != nil {
			t.Fatalf("%s: %v", spec.Name, err)
		}
		if _, err := m.Lookup(make([]byte, 4)); !errors.Is(err, ErrNotSupported) {
			t.Errorf("%s: lookup: %v, want ErrNotSupported", spec.Name, err)
		}
		if err := m.Update(make([]byte, 4), make([]byte, 4), 0); !errors.Is(err, ErrNotSupported) {
			t.Errorf("%s: update: %v, want ErrNotSupported", spec.Name, err)
		}
		if m.Len() != 0 || m.(bpfMap).lookupElem(0, make([]byte, 4)) != 0 {
			t.Errorf("%s: not empty", spec.Name)
		}
	}
}
