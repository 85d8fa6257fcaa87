package bpfvm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cilium/ebpf/btf"
)

// Errors of map operations, wrapped with the map's name. Helpers turn them
// into the kernel's negative errno values.
var (
	ErrKeyNotExist  = errors.New("key does not exist")
	ErrKeyExist     = errors.New("key already exists")
	ErrMapFull      = errors.New("map is full")
	ErrNotSupported = errors.New("operation not supported by this map type")
	ErrFrozen       = errors.New("map is read-only")
)

// Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK).
const (
	UpdateAny     = 0
	UpdateNoExist = 1
	UpdateExist   = 2
	UpdateLock    = 4
)

// Linux errno values returned (negated) by helpers.
const (
	errnoEPERM     = 1
	errnoENOENT    = 2
	errnoE2BIG     = 7
	errnoEAGAIN    = 11
	errnoENOMEM    = 12
	errnoEFAULT    = 14
	errnoEBUSY     = 16
	errnoEEXIST    = 17
	errnoEINVAL    = 22
	errnoEDEADLK   = 35
	errnoEOPNOTSUP = 95
)

// negErrno is the helper return value -errno.
func negErrno(e int64) uint64 { return uint64(-e) }

// errnoOf maps a map error to the errno a helper returns.
func errnoOf(err error) int64 {
	switch {
	case errors.Is(err, ErrKeyNotExist):
		return errnoENOENT
	case errors.Is(err, ErrKeyExist):
		return errnoEEXIST
	case errors.Is(err, ErrMapFull):
		return errnoE2BIG
	case errors.Is(err, ErrFrozen):
		return errnoEPERM
	case errors.Is(err, errNoMem):
		return errnoENOMEM
	}
	return errnoEINVAL
}

var errNoMem = errors.New("out of linear memory")

// PerCPUMap is implemented by per-CPU maps (percpu array, percpu hash, LRU
// percpu hash): values one CPU at a time.
type PerCPUMap interface {
	Map
	// LookupPerCPU returns a copy of the value of every CPU.
	LookupPerCPU(key []byte) ([][]byte, error)
	// UpdatePerCPU stores one value per CPU (len(values) == NumCPUs).
	UpdatePerCPU(key []byte, values [][]byte, flags uint64) error
}

// QueueMap is implemented by queue and stack maps.
type QueueMap interface {
	Map
	// Push adds value; with UpdateExist a full map drops its oldest value.
	Push(value []byte, flags uint64) error
	// Pop removes and returns the next value (oldest for a queue, newest
	// for a stack).
	Pop() ([]byte, error)
	// Peek returns the next value without removing it.
	Peek() ([]byte, error)
}

// percpuArray and percpuHash add the PerCPUMap methods to per-CPU maps.
type percpuArray struct{ *arrayMap }
type percpuHash struct{ *hashMap }

func (m *percpuArray) LookupPerCPU(key []byte) ([][]byte, error) { return m.lookupPerCPU(key) }
func (m *percpuArray) UpdatePerCPU(key []byte, values [][]byte, flags uint64) error {
	return m.updatePerCPU(key, values, flags)
}
func (m *percpuHash) LookupPerCPU(key []byte) ([][]byte, error) { return m.lookupPerCPU(key) }
func (m *percpuHash) UpdatePerCPU(key []byte, values [][]byte, flags uint64) error {
	return m.updatePerCPU(key, values, flags)
}

// bpfMap is the BPF side of a map, used by the helpers: values are served
// by address in linear memory.
type bpfMap interface {
	Map
	base() *mapBase
	// lookupElem returns the address of the value stored under key (for
	// the given CPU of a per-CPU map), or 0.
	lookupElem(cpu int, key []byte) uint64
	// updateElem stores value under key (for cpu only, in a per-CPU map).
	updateElem(cpu int, key, value []byte, flags uint64) error
	// deleteElem removes key.
	deleteElem(key []byte) error
}

// mapBase holds what all maps share.
type mapBase struct {
	spec   *MapSpec
	vm     *VM
	addr   uint64 // descriptor (what LD_IMM64 PseudoMapIdx yields)
	stride uint64 // value size rounded up to 8
	// special are the bytes of bpf_timer and bpf_spin_lock fields of the
	// value: updates do not overwrite them (the kernel's copy_map_value).
	special []fieldRange
	timers  []uint32 // offsets of bpf_timer fields
	frozen  bool
}

type fieldRange struct{ off, size uint32 }

func (m *mapBase) Spec() *MapSpec { return m.spec }
func (m *mapBase) Addr() uint64   { return m.addr }
func (m *mapBase) base() *mapBase { return m }
func (m *mapBase) mem() *Memory   { return m.vm.Mem }
func (m *mapBase) ncpu() int      { return max(m.vm.NumCPUs, 1) }
func (m *mapBase) name() string   { return m.spec.Name }
func (m *mapBase) freeze()        { m.frozen = true }
func (m *mapBase) errf(err error, format string, args ...any) error {
	return fmt.Errorf("bpfvm: map %s: %s: %w", m.spec.Name, fmt.Sprintf(format, args...), err)
}

// descriptorSize is the bytes of a map's descriptor in linear memory: type,
// key size, value size, max entries, flags (u32 each), like struct bpf_map's
// first fields, so that a dump of memory is readable.
const descriptorSize = 32

func (m *mapBase) init(vm *VM, spec *MapSpec) error {
	m.spec, m.vm = spec, vm
	m.stride = align8(uint64(spec.ValueSize))
	addr, err := vm.Mem.Alloc(descriptorSize, 8)
	if err != nil {
		return fmt.Errorf("bpfvm: map %s: %w: %v", spec.Name, errNoMem, err)
	}
	m.addr = addr
	d := vm.Mem.MustBytes(addr, descriptorSize)
	binary.LittleEndian.PutUint32(d[0:], uint32(spec.Type))
	binary.LittleEndian.PutUint32(d[4:], spec.KeySize)
	binary.LittleEndian.PutUint32(d[8:], spec.ValueSize)
	binary.LittleEndian.PutUint32(d[12:], spec.MaxEntries)
	binary.LittleEndian.PutUint32(d[16:], spec.Flags)
	if spec.Value != nil {
		if err := findSpecialFields(spec.Value, 0, 0, &m.special, &m.timers); err != nil {
			return fmt.Errorf("bpfvm: map %s: value type %s: %w", spec.Name, spec.Value, err)
		}
		for _, r := range m.special {
			if uint64(r.off)+uint64(r.size) > uint64(spec.ValueSize) {
				return fmt.Errorf("bpfvm: map %s: %s field at offset %d lies outside the %d-byte value", spec.Name, spec.Value, r.off, spec.ValueSize)
			}
		}
	}
	return nil
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

// findSpecialFields records the offsets of struct bpf_timer and struct
// bpf_spin_lock inside t (placed at off), as the kernel's btf_parse_fields.
func findSpecialFields(t btf.Type, off uint32, depth int, special *[]fieldRange, timers *[]uint32) error {
	if depth > 32 {
		return errors.New("type nests too deeply")
	}
	switch ut := btf.UnderlyingType(t).(type) {
	case *btf.Struct:
		switch ut.Name {
		case "bpf_timer":
			*special = append(*special, fieldRange{off, ut.Size})
			*timers = append(*timers, off)
			return nil
		case "bpf_spin_lock", "bpf_res_spin_lock":
			*special = append(*special, fieldRange{off, ut.Size})
			return nil
		}
		for _, m := range ut.Members {
			if err := findSpecialFields(m.Type, off+m.Offset.Bytes(), depth+1, special, timers); err != nil {
				return err
			}
		}
	case *btf.Union:
		for _, m := range ut.Members {
			if err := findSpecialFields(m.Type, off+m.Offset.Bytes(), depth+1, special, timers); err != nil {
				return err
			}
		}
	case *btf.Datasec:
		for _, v := range ut.Vars {
			if vt, ok := v.Type.(*btf.Var); ok {
				if err := findSpecialFields(vt.Type, off+v.Offset, depth+1, special, timers); err != nil {
					return err
				}
			}
		}
	case *btf.Array:
		if ut.Nelems == 0 {
			return nil
		}
		var s []fieldRange
		var tm []uint32
		if err := findSpecialFields(ut.Type, 0, depth+1, &s, &tm); err != nil {
			return err
		}
		if len(s) == 0 {
			return nil
		}
		esize, err := btf.Sizeof(ut.Type)
		if err != nil {
			return err
		}
		if ut.Nelems > 1<<16 {
			return fmt.Errorf("array of %d elements with timers or locks", ut.Nelems)
		}
		for i := range ut.Nelems {
			base := off + i*uint32(esize)
			for _, r := range s {
				*special = append(*special, fieldRange{base + r.off, r.size})
			}
			for _, o := range tm {
				*timers = append(*timers, base+o)
			}
		}
	}
	return nil
}

// copyValue copies a value into map storage, leaving the special fields
// (timers, spin locks) of dst untouched.
func (m *mapBase) copyValue(dst, src []byte) {
	if len(m.special) == 0 {
		copy(dst, src)
		return
	}
	n := uint32(min(len(dst), len(src)))
	var at uint32
	for _, r := range m.special {
		if r.off > at && at < n {
			copy(dst[at:min(r.off, n)], src[at:min(r.off, n)])
		}
		at = max(at, r.off+r.size)
	}
	if at < n {
		copy(dst[at:n], src[at:n])
	}
}

// checkFlags validates BPF_ANY/NOEXIST/EXIST(/F_LOCK) update flags.
func checkUpdateFlags(flags uint64) error {
	if flags&^uint64(3|UpdateLock) != 0 || flags&3 == 3 {
		return fmt.Errorf("bad update flags %#x", flags)
	}
	return nil
}

func (m *mapBase) checkKey(key []byte) error {
	if uint32(len(key)) != m.spec.KeySize {
		return fmt.Errorf("bpfvm: map %s: key of %d bytes, want %d", m.spec.Name, len(key), m.spec.KeySize)
	}
	return nil
}

// valueLen is the size of a value in the Go-side API.
func (m *mapBase) valueLen(percpu bool) int {
	if percpu {
		return int(m.stride) * m.ncpu()
	}
	return int(m.spec.ValueSize)
}

func (m *mapBase) checkValue(value []byte, percpu bool) error {
	if want := m.valueLen(percpu); len(value) != want {
		return fmt.Errorf("bpfvm: map %s: value of %d bytes, want %d", m.spec.Name, len(value), want)
	}
	return nil
}

// newMap creates the map described by spec in vm's memory.
func newMap(vm *VM, spec *MapSpec) (bpfMap, error) {
	if spec != nil && spec.Type == MapPerfEventArray && spec.MaxEntries == 0 {
		// libbpf sizes a perf event array to the number of CPUs
		cp := *spec
		cp.MaxEntries = uint32(max(vm.NumCPUs, 1))
		spec = &cp
	}
	if spec != nil && (spec.Type == MapRingbuf || spec.Type == MapUserRingbuf) {
		if n := ringbufSize(spec.MaxEntries); n != spec.MaxEntries {
			cp := *spec
			cp.MaxEntries = n
			spec = &cp
		}
	}
	if spec != nil && !MapTypeModelled(spec.Type) {
		return newUnmodelledMap(vm, spec)
	}
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	switch spec.Type {
	case MapArray, MapPerfEventArray:
		// A perf event array holds perf event fds set by user space; the
		// simulator has no perf events, so every slot stays empty and
		// reading a counter fails (-ENOENT) as with an unset slot.
		return newArrayMap(vm, spec)
	case MapPercpuArray:
		m, err := newArrayMap(vm, spec)
		if err != nil {
			return nil, err
		}
		return &percpuArray{m}, nil
	case MapHash, MapLRUHash:
		return newHashMap(vm, spec)
	case MapPercpuHash, MapLRUPercpuHash:
		m, err := newHashMap(vm, spec)
		if err != nil {
			return nil, err
		}
		return &percpuHash{m}, nil
	case MapQueue, MapStack:
		return newQueueMap(vm, spec)
	case MapArrayOfMaps:
		return newArrayOfMaps(vm, spec)
	case MapArena:
		return newArenaMap(vm, spec)
	case MapRingbuf:
		return newRingbufMap(vm, spec)
	case MapUserRingbuf:
		return newUserRingbufMap(vm, spec)
	case MapTaskStorage, MapCgrpStorage:
		// BPF_MAP_TYPE_CGRP_STORAGE is local storage keyed by a struct
		// cgroup pointer, as task storage is by a task_struct pointer.
		return newTaskStorage(vm, spec)
	}
	return nil, fmt.Errorf("bpfvm: map %s: map type %d (%s) is not supported", spec.Name, spec.Type, mapTypeName(spec.Type))
}

// ringbufSize is libbpf's adjust_ringbuf_sz: a ring buffer's size as
// libbpf creates it, the smallest power-of-2 multiple of the page size
// above sz unless sz is one already (scx_rustland_core declares
// MAX_ENQUEUED_TASKS entries of its struct, 360448 bytes: 512 KiB); 0, or
// a size no such multiple fits, passes through for the kernel to reject.
func ringbufSize(sz uint32) uint32 {
	const page = 4096
	if sz == 0 || sz%page == 0 && (sz/page)&(sz/page-1) == 0 {
		return sz
	}
	for mul := uint64(1); mul*page <= math.MaxUint32; mul <<= 1 {
		if mul*page > uint64(sz) {
			return uint32(mul * page)
		}
	}
	return sz
}

func mapTypeName(t MapType) string {
	names := map[MapType]string{MapHash: "hash", MapArray: "array", MapPercpuHash: "percpu_hash",
		MapPercpuArray: "percpu_array", MapLRUHash: "lru_hash", MapLRUPercpuHash: "lru_percpu_hash",
		MapArrayOfMaps: "array_of_maps", MapHashOfMaps: "hash_of_maps", MapQueue: "queue",
		MapStack: "stack", MapPerfEventArray: "perf_event_array", MapStructOps: "struct_ops", MapRingbuf: "ringbuf",
		MapTaskStorage: "task_storage", MapCgrpStorage: "cgrp_storage", MapArena: "arena",
		3: "prog_array", 7: "stack_trace", 8: "cgroup_array", 11: "lpm_trie", 14: "devmap",
		15: "sockmap", 16: "cpumap", 17: "xskmap", 18: "sockhash", 19: "cgroup_storage",
		20: "reuseport_sockarray", 21: "percpu_cgroup_storage", 24: "sk_storage",
		25: "devmap_hash", 28: "inode_storage", 30: "bloom_filter", MapUserRingbuf: "user_ringbuf"}
	if n, ok := names[t]; ok {
		return n
	}
	return "unknown"
}

// maxMapBytes bounds the storage one map may reserve up front.
const maxMapBytes = 1 << 34

func checkSpec(s *MapSpec) error {
	if s == nil {
		return errors.New("bpfvm: nil map spec")
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("bpfvm: map %s (%s): %s", s.Name, mapTypeName(s.Type), fmt.Sprintf(format, args...))
	}
	switch s.Type {
	case MapArray, MapPercpuArray, MapArrayOfMaps, MapPerfEventArray:
		if s.KeySize != 4 {
			return bad("key size %d, want 4", s.KeySize)
		}
	case MapQueue, MapStack:
		if s.KeySize != 0 {
			return bad("key size %d, want 0", s.KeySize)
		}
	case MapRingbuf, MapUserRingbuf:
		if n := s.MaxEntries; s.KeySize != 0 || s.ValueSize != 0 || n < 4096 || n&(n-1) != 0 || n > 1<<30 {
			return bad("key size %d, value size %d, %d bytes: want 0, 0 and a power of 2 of at least a page", s.KeySize, s.ValueSize, n)
		}
		return nil
	case MapArena:
		if s.KeySize != 0 || s.ValueSize != 0 || s.MaxEntries == 0 {
			return bad("key size %d, value size %d, %d pages: want 0, 0 and at least 1", s.KeySize, s.ValueSize, s.MaxEntries)
		}
		return nil
	case MapTaskStorage, MapCgrpStorage:
		if s.KeySize != 4 {
			return bad("key size %d, want 4 (an int)", s.KeySize)
		}
	default:
		if s.KeySize == 0 || s.KeySize > 512 {
			return bad("key size %d, want 1..512", s.KeySize)
		}
	}
	if s.ValueSize == 0 || s.ValueSize > 1<<24 && !(s.MaxEntries == 1 && s.ValueSize <= maxSectionSize) {
		// (a global data section is one value, as large as a section)
		return bad("value size %d", s.ValueSize)
	}
	if s.Type == MapArrayOfMaps && s.ValueSize != 4 {
		return bad("value size %d, want 4", s.ValueSize)
	}
	if s.Type != MapTaskStorage && s.Type != MapCgrpStorage && s.MaxEntries == 0 {
		return bad("max_entries is 0")
	}
	return nil
}

// sortedKeys returns the keys of m in order (for deterministic errors).
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
