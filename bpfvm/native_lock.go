package bpfvm

import "unsafe"

// Native locks and clock. An embedder whose lock runtime keeps its state
// in a NativeState (VM.Native) lets an engine serve bpf_spin_lock and
// bpf_spin_unlock (Helper.Native NativeSpinLock, NativeSpinUnlock) and
// clock helpers (NativeClock) without calling Fn, in the cases where Fn
// would only update that state: while NativeState.On is set, for a lock
// in the cache (NativeState.Cache), free (lock) or the newest on the
// CPU's native held stack (unlock). Everything else calls Fn, which works
// on the same state. The embedder sets On only while Fn's effects are
// exactly these updates (docs/locks.md, "The native fast path"). Every
// field is an integer: generated code writes them, and it must not store
// Go pointers.

const (
	// NativeSpinLock: bpf_spin_lock(r1) on NativeState; r0 = 0.
	NativeSpinLock Native = iota + 3
	// NativeSpinUnlock: bpf_spin_unlock(r1) on NativeState; r0 = 0.
	NativeSpinUnlock
	// NativeClock: r0 = NativeState.Clock (scx_bpf_now).
	NativeClock
	// NativeZero: r0 = 0 and nothing else (kfuncs that only matter to
	// the verifier: bpf_task_release, bpf_rcu_read_lock, ...); no
	// NativeState needed.
	NativeZero
	// NativeRbFirst: bpf_rbtree_first(r1): r0 = the leftmost node of the
	// bpf_rb_root at r1 if r1 is 8-byte aligned and its 16 bytes lie in
	// the linear memory (the kfunc faults otherwise); no NativeState
	// needed.
	NativeRbFirst
	// NativeObjNew, NativeObjDrop, NativeRbAdd, NativeRbRemove: the
	// graph kfuncs bpf_obj_new_impl, bpf_obj_drop_impl,
	// bpf_rbtree_add_impl and bpf_rbtree_remove in their common cases
	// (graph_native.go); no NativeState needed.
	NativeObjNew
	NativeObjDrop
	NativeRbAdd
	NativeRbRemove
)

const (
	// NativeHeldMax is the depth of a CPU's native held-lock stack: the
	// verifier's limit on locks held at once.
	NativeHeldMax = 8
	// NativeLockCacheBits: NativeState.Cache has 1<<NativeLockCacheBits
	// entries.
	NativeLockCacheBits = 10
)

// NativeState is the state behind the native helpers above. It is
// allocated once (NewNativeState) and never moved, nor is its CPUs array
// (generated code holds their addresses).
type NativeState struct {
	// On: engines may serve the native helpers now (the embedder sets it
	// around the callbacks where they are exact).
	On uint64
	// Clock is what NativeClock helpers return while On.
	Clock uint64
	// Now is the lock runtime's time while On (LockWord.HeldAt,
	// HeldLock.At).
	Now uint64
	// Mul is HashMul (for generated code).
	Mul uint64
	// CPUs: one per Context.CPU.
	CPUs []LockCPU
	// Cache finds locks by address: a direct-mapped table, entry
	// CacheIndex(addr).
	Cache [1 << NativeLockCacheBits]LockCacheEntry
}

// NewNativeState returns the state for ncpu CPUs.
func NewNativeState(ncpu int) *NativeState {
	return &NativeState{Mul: HashMul, CPUs: make([]LockCPU, ncpu)}
}

// LockCacheEntry is a lock the native helpers may take: its address in
// linear memory and its LockWord (LockWord.Addr).
type LockCacheEntry struct {
	Addr uint64
	Word uint64
}

// CacheIndex is addr's entry in NativeState.Cache.
func CacheIndex(addr uint64) int { return int(addr * HashMul >> (64 - NativeLockCacheBits)) }

// LockCPU is a CPU's native lock state.
type LockCPU struct {
	N uint64 // entries in Held
	// Held: locks taken natively since the embedder last moved them to its
	// own list (oldest first); they are newer than every lock in it.
	Held [NativeHeldMax]HeldLock
}

// HeldLock is one natively taken lock.
type HeldLock struct {
	Addr uint64 // the lock's address in linear memory
	Word uint64 // its LockWord
	PC   uint64 // the call instruction
	At   uint64 // Now when taken
	Prog uint64 // the program, as its index in VM.Programs
}

// LockWord is a lock's state and statistics, shared by the embedder's
// lock runtime and native code.
type LockWord struct {
	Holder       int64 // CPU, -1 when free
	HeldAt       uint64
	Acquisitions uint64
	HoldTotal    uint64
	HoldMax      uint64
}

// Addr is w's address, for LockCacheEntry.Word (w must stay reachable from
// Go while it is there).
func (w *LockWord) Addr() uint64 { return uint64(uintptr(unsafe.Pointer(w))) }

// ProgramIndex is p's index in vm.Programs, or -1.
func (vm *VM) ProgramIndex(p *Program) int {
	for i, q := range vm.Programs {
		if q == p {
			return i
		}
	}
	return -1
}
