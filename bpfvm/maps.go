package bpfvm

import "github.com/cilium/ebpf/btf"

// MapType is the kernel's enum bpf_map_type (include/uapi/linux/bpf.h).
type MapType uint32

const (
	MapHash           MapType = 1
	MapArray          MapType = 2
	MapPerfEventArray MapType = 4
	MapPercpuHash     MapType = 5
	MapPercpuArray    MapType = 6
	MapLRUHash        MapType = 9
	MapLRUPercpuHash  MapType = 10
	MapArrayOfMaps    MapType = 12
	MapHashOfMaps     MapType = 13
	MapQueue          MapType = 22
	MapStack          MapType = 23
	MapStructOps      MapType = 26
	MapRingbuf        MapType = 27
	MapUserRingbuf    MapType = 31
	MapTaskStorage    MapType = 29
	MapCgrpStorage    MapType = 32
	MapArena          MapType = 33
)

// MapSpec describes a map as the object declares it.
type MapSpec struct {
	Name       string
	Type       MapType
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	// Extra is map_extra (an arena's requested user_vm_start).
	Extra uint64
	// Key and Value are the BTF types of key and value, when the object has
	// them (the verifier finds bpf_spin_lock, bpf_timer, kptr fields there).
	Key, Value btf.Type
	// Inner is the template of inner maps for map-in-map types.
	Inner *MapSpec
	// Section is the ELF section of a global data map (".data", ".bss",
	// ".rodata", ".data.foo"), empty for declared maps.
	Section string
	// ReadOnly is set for .rodata sections after load (const volatile).
	ReadOnly bool
	// Data is the initial value of a global data section (zeros for
	// .bss; nil for .kconfig, whose value is computed at load).
	Data []byte
	// Contents are the initial inner maps of a map-in-map (the .values
	// initialiser of its declaration).
	Contents []MapContent
}

// MapContent is an initial slot of a map-in-map: the map called Map (in the
// same object) at index Key.
type MapContent struct {
	Key uint32
	Map string
}

// Map is a BPF map living in a VM's linear memory.
type Map interface {
	// Spec describes the map.
	Spec() *MapSpec
	// Addr is what LD_IMM64 with PseudoMapIdx yields: the address of the
	// map's descriptor in linear memory. Helpers map it back to the Map.
	Addr() uint64
	// ValueAddr is what LD_IMM64 with PseudoMapIdxValue yields for offset
	// off: the address inside the single value of an array map with one
	// entry (global sections). ok is false for other maps.
	ValueAddr(off uint32) (addr uint64, ok bool)

	// The Go-side API, for user-space code (the simulator, the TUI, tests),
	// after the bpf(2) map commands. Keys and values are raw bytes in the
	// layout BPF sees; the value of a per-CPU map is the values of all CPUs,
	// each padded to a multiple of 8 bytes (the kernel's user-space ABI; see
	// PerCPUMap for a per-CPU view). Errors wrap ErrKeyNotExist,
	// ErrKeyExist, ErrMapFull or ErrNotSupported.

	// Lookup returns a copy of the value stored under key.
	Lookup(key []byte) ([]byte, error)
	// Update stores value under key; flags are BPF_ANY (0), BPF_NOEXIST
	// (1) or BPF_EXIST (2).
	Update(key, value []byte, flags uint64) error
	// Delete removes key.
	Delete(key []byte) error
	// Iterate calls fn with a copy of each key and value, in a
	// deterministic order (index order for arrays, insertion order for
	// hash maps), until fn returns false.
	Iterate(fn func(key, value []byte) bool)
	// Len is the number of entries present.
	Len() int
}

// String is the map type as bpftool names it ("hash", "percpu_array").
func (t MapType) String() string { return mapTypeName(t) }
