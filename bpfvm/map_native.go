package bpfvm

// Native map lookups. The JIT serves bpf_map_lookup_elem itself, without
// leaving native code, for the maps whose lookup is a computation on
// linear memory and a table it can read: arrays and per-CPU arrays with
// 4-byte keys, and hash maps (not LRU: a lookup reorders an LRU) with keys
// of 1, 2, 4 or 8 bytes, through the HashIndex below. The result, the cost
// charged and the instruction count are the helper's; anything unusual (a
// key outside the linear memory, a CPU outside the VM, a cost limit to
// check) goes to the helper, which reports it as before.

// Native names a helper an engine may serve without calling Fn, with
// exactly Fn's result and Cost (Helper.Native).
type Native uint8

const (
	// NativeNone: call Fn.
	NativeNone Native = iota
	// NativeMapLookup: bpf_map_lookup_elem; see VM.NativeLookup.
	NativeMapLookup
	// NativeCPU: r0 = Context.CPU (bpf_get_smp_processor_id).
	NativeCPU
)

// NativeMapKind is how a map's elements are found natively.
type NativeMapKind uint8

const (
	// NativeArray: entry i of CPU c at Data + (i*NCPU + c)*Stride for a
	// per-CPU array, Data + i*Stride otherwise; i >= MaxEntries is NULL.
	NativeArray NativeMapKind = iota + 1
	// NativeHash: the key (KeySize bytes, little-endian, zero-extended)
	// probed in Index; the value of CPU c at the found address + c*Stride.
	NativeHash
)

// NativeMap describes how an engine looks up the elements of one map.
type NativeMap struct {
	Kind       NativeMapKind
	Addr       uint64 // the map's address (what r1 holds)
	KeySize    uint32
	PerCPU     bool
	MaxEntries uint32     // arrays
	Data       uint64     // arrays: the value of entry 0, CPU 0
	Stride     uint64     // bytes from one CPU's value to the next (arrays: one value to the next)
	NCPU       int        // CPUs of per-CPU values
	Index      *HashIndex // hash maps
}

// NativeLookup describes map number idx (LD_IMM64 PseudoMapIdx) for a
// native bpf_map_lookup_elem, or returns false if its lookups must call
// the helper.
func (vm *VM) NativeLookup(idx int) (NativeMap, bool) {
	if idx < 0 || idx >= len(vm.Maps) || vm.Maps[idx] == nil {
		return NativeMap{}, false
	}
	switch m := vm.Maps[idx].(type) {
	case *arrayMap:
		return m.native(), m.spec.KeySize == 4
	case *percpuArray:
		return m.native(), m.spec.KeySize == 4
	case *hashMap:
		return m.native()
	case *percpuHash:
		return m.native()
	}
	return NativeMap{}, false
}

func (m *arrayMap) native() NativeMap {
	return NativeMap{Kind: NativeArray, Addr: m.addr, KeySize: m.spec.KeySize, PerCPU: m.percpu,
		MaxEntries: m.spec.MaxEntries, Data: m.data, Stride: m.stride, NCPU: m.ncpu()}
}

func (m *hashMap) native() (NativeMap, bool) {
	ks := m.spec.KeySize
	if m.lru || m.nums == nil || ks != 1 && ks != 2 && ks != 4 && ks != 8 {
		return NativeMap{}, false
	}
	return NativeMap{Kind: NativeHash, Addr: m.addr, KeySize: ks, PerCPU: m.percpu,
		Stride: m.stride, NCPU: m.ncpu(), Index: m.nums}, true
}

// HashIndex finds the elements of a hash map with keys of at most 8 bytes
// by the key as a number (numKey): open addressing with linear probing,
// read by Go (find) and by the JIT's generated code alike. The probe for
// key starts at byte offset ((key*HashMul) >> Shift) << 4 of Slots and
// moves 16 bytes at a time (modulo Mask16+16) until a slot whose Val is 0
// (absent) or whose Key is key (Val is the value address of CPU 0).
type HashIndex struct {
	Slots  []HashSlot // the data pointer first: the JIT reads it at offset 0
	Shift  uint64     // 64 - log2(len(Slots))
	Mask16 uint64     // (len(Slots)-1) * 16
	elems  []*hashElem
	n      int
}

// HashSlot is one slot of a HashIndex.
type HashSlot struct{ Key, Val uint64 }

// HashMul is the multiplier of HashIndex's hash (Fibonacci hashing).
const HashMul = 0x9e3779b97f4a7c15

func newHashIndex() *HashIndex {
	x := &HashIndex{}
	x.resize(8)
	return x
}

func (x *HashIndex) resize(n int) {
	old, olde := x.Slots, x.elems
	x.Slots = make([]HashSlot, n)
	x.elems = make([]*hashElem, n)
	x.Mask16 = uint64(n-1) * 16
	x.Shift = 64
	for k := n; k > 1; k >>= 1 {
		x.Shift--
	}
	x.n = 0
	for i, s := range old {
		if s.Val != 0 {
			x.insert(s.Key, s.Val, olde[i])
		}
	}
}

func (x *HashIndex) home(key uint64) uint64 { return (key * HashMul) >> x.Shift }

// slot returns the index of key's slot, or of the empty slot ending its
// probe.
func (x *HashIndex) slot(key uint64) uint64 {
	mask := uint64(len(x.Slots) - 1)
	i := x.home(key)
	for x.Slots[i].Val != 0 && x.Slots[i].Key != key {
		i = (i + 1) & mask
	}
	return i
}

func (x *HashIndex) find(key uint64) *hashElem { return x.elems[x.slot(key)] }

// insert adds key (not present) with the value address val of e.
func (x *HashIndex) insert(key, val uint64, e *hashElem) {
	if 4*(x.n+1) > 3*len(x.Slots) {
		x.resize(2 * len(x.Slots))
	}
	i := x.slot(key)
	x.Slots[i] = HashSlot{key, val}
	x.elems[i] = e
	x.n++
}

// remove deletes key, moving later slots of the probe back (no
// tombstones, so a probe always ends at an empty slot).
func (x *HashIndex) remove(key uint64) {
	mask := uint64(len(x.Slots) - 1)
	i := x.slot(key)
	if x.Slots[i].Val == 0 {
		return
	}
	j := i
	for {
		j = (j + 1) & mask
		if x.Slots[j].Val == 0 {
			break
		}
		// the element at j may move to i if its home is not in (i, j]
		h := x.home(x.Slots[j].Key)
		if i <= j && (h <= i || h > j) || i > j && h <= i && h > j {
			x.Slots[i], x.elems[i] = x.Slots[j], x.elems[j]
			i = j
		}
	}
	x.Slots[i], x.elems[i] = HashSlot{}, nil
	x.n--
}
