package bpfvm

import (
	"fmt"

	"github.com/cilium/ebpf/btf"
)

// Func is the Go implementation of a helper or kfunc. It receives the
// calling context and r1..r5 and returns r0. Returning a *Fault or any other
// error stops the program with a fault at the call instruction. Returning
// ErrYield suspends the context *before* the call completes: when the
// context is resumed the call is made again (this is how a contended lock
// waits, see DESIGN.md "Execution contexts").
type Func func(c *Context, r1, r2, r3, r4, r5 uint64) (uint64, error)

// ArgType is what the verifier requires of a helper argument, after the
// kernel's enum bpf_arg_type (include/linux/bpf.h).
type ArgType uint8

const (
	ArgNone                ArgType = iota // unused argument
	ArgAnything                           // any initialised value
	ArgScalar                             // any scalar (not a pointer)
	ArgConstMapPtr                        // a map (LD_IMM64 map)
	ArgPtrToMapKey                        // readable memory of the map's key size
	ArgPtrToMapValue                      // readable memory of the map's value size
	ArgPtrToUninitMapValue                // writable memory of the map's value size
	ArgPtrToMem                           // readable memory, size in the next ArgConstSize argument
	ArgPtrToUninitMem                     // writable memory, size in the next ArgConstSize argument
	ArgConstSize                          // size of the previous memory argument, > 0
	ArgConstSizeOrZero                    // size of the previous memory argument, >= 0
	ArgPtrToCtx                           // the program's context
	ArgPtrToStack                         // stack memory
	ArgPtrToFunc                          // a subprogram (LD_IMM64 PseudoFunc)
	ArgPtrToTimer                         // a struct bpf_timer inside a map value
	ArgPtrToSpinLock                      // a struct bpf_spin_lock inside a map value or global
	ArgPtrToBTFID                         // a trusted kernel object of type BTFType
	ArgPtrToBTFIDOrNull                   // same, or NULL
	ArgPtrToMapValueOrNull                // map value or NULL
	ArgConstStrPtr                        // pointer to a NUL-terminated read-only string
	ArgPtrToMemOrNull                     // as ArgPtrToMem, or NULL with a zero size (PTR_MAYBE_NULL)
	ArgPtrToDynptr                        // an initialised struct bpf_dynptr (ARG_PTR_TO_DYNPTR | MEM_RDONLY)
	ArgPtrToDynptrUninit                  // a struct bpf_dynptr the helper initialises (MEM_UNINIT)
	ArgPtrToDynptrRelease                 // a ring buffer dynptr the helper releases (OBJ_RELEASE)
)

// RetType is what a helper returns in r0, after enum bpf_return_type.
type RetType uint8

const (
	RetInteger             RetType = iota // a scalar
	RetVoid                               // nothing (r0 unknown scalar)
	RetPtrToMapValueOrNull                // value of the map passed as arg 1
	RetPtrToMemOrNull                     // memory of RetSize bytes, or NULL
	RetPtrToBTFIDOrNull                   // kernel object of type RetBTFType, or NULL
	RetPtrToBTFID                         // kernel object of type RetBTFType
)

// Helper describes a numbered BPF helper (enum bpf_func_id).
type Helper struct {
	ID   int32
	Name string
	Fn   Func
	Args [5]ArgType
	Ret  RetType
	// ArgBTFType / RetBTFType name kernel types (e.g. "task_struct") for the
	// BTF-typed argument and return kinds.
	ArgBTFType [5]string
	RetBTFType string
	RetSize    int
	// Acquire: the result is a reference that must be released.
	// Release: argument ReleaseArg is a reference released by the call.
	Acquire    bool
	Release    bool
	ReleaseArg int
	// LockSafe: may be called while a spin lock is held. The kernel allows
	// almost nothing there; schedsim allows what is listed (docs/verifier.md).
	LockSafe bool
	// Cost is the simulated cost of one call in nanoseconds, charged to the
	// calling context on top of the per-instruction cost.
	Cost uint64
	// Native says that Fn is a standard function an engine may perform
	// without calling it (map_native.go), with the same result and Cost.
	Native Native
}

// KfuncFlags are the kernel's KF_* flags (include/linux/btf.h).
type KfuncFlags uint32

const (
	KfAcquire     KfuncFlags = 1 << iota // returns a reference
	KfRelease                            // releases its (first pointer) argument
	KfRetNull                            // may return NULL
	KfTrustedArgs                        // pointer arguments must be trusted
	KfSleepable                          // only from sleepable programs
	KfIter                               // iterator new/next/destroy
	KfLockSafe                           // schedsim: may be called with locks held
	KfDestructive                        // unused here; kept for parity
	KfRCU                                // arguments may be RCU-protected
	// KfPoison marks a placeholder the loader puts in place of a call to a
	// missing __weak kfunc or of an instruction whose CO-RE relocation
	// failed: calling it faults. A verifier should reject a reachable one.
	KfPoison
	// KfRCUProtected (KF_RCU_PROTECTED): an iterator whose new() must be
	// called in an RCU read section, and its next/destroy too.
	KfRCUProtected
)

// Kfunc describes a kernel function callable through CALL with Src CallKfunc.
type Kfunc struct {
	Name  string
	Fn    Func
	Flags KfuncFlags
	// Proto is the kfunc's prototype in the simulated kernel BTF; the
	// verifier checks arguments against it. May be nil for kfuncs the
	// verifier treats specially.
	Proto *btf.FuncProto
	Cost  uint64
	// Native: as Helper.Native (kfuncs: NativeClock, NativeZero and the
	// graph kfuncs, bpfvm/graph_native.go).
	Native Native
}

// Registry holds the helpers and kfuncs a VM serves. Ids of kfuncs are
// indices into the registry, assigned in registration order (deterministic).
// A Helper or Kfunc is not modified once registered (engines keep what
// they resolved, Context.CallRef): register a replacement instead.
type Registry struct {
	helpers []*Helper // indexed by helper id
	kfuncs  []*Kfunc  // indexed by kfunc id
	byName  map[string]int32
	gen     uint64      // counts replacements, for FuncRef
	graph   *graphState // RegisterGraph's records (NativeObjNew)
}

// Gen counts the replacements of helpers and kfuncs so far: what an
// engine resolved from the registry holds while Gen is unchanged.
func (r *Registry) Gen() uint64 { return r.gen }

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byName: make(map[string]int32)}
}

// AddHelper registers h under h.ID, replacing any earlier helper with that id.
func (r *Registry) AddHelper(h *Helper) {
	for int(h.ID) >= len(r.helpers) {
		r.helpers = append(r.helpers, nil)
	}
	r.helpers[h.ID] = h
	r.gen++
}

// Helper returns the helper with the given id, or nil.
func (r *Registry) Helper(id int32) *Helper {
	if id < 0 || int(id) >= len(r.helpers) {
		return nil
	}
	return r.helpers[id]
}

// AddKfunc registers k and returns its id. Registering a name twice replaces
// the implementation and keeps the id.
func (r *Registry) AddKfunc(k *Kfunc) int32 {
	if id, ok := r.byName[k.Name]; ok {
		r.kfuncs[id] = k
		r.gen++
		return id
	}
	id := int32(len(r.kfuncs))
	r.kfuncs = append(r.kfuncs, k)
	r.byName[k.Name] = id
	return id
}

// Alias makes name resolve to the same kfunc as target (e.g. the pre-6.13
// scx_bpf_dispatch for scx_bpf_dsq_insert).
func (r *Registry) Alias(name, target string) error {
	id, ok := r.byName[target]
	if !ok {
		return fmt.Errorf("bpfvm: alias %s of unknown kfunc %s", name, target)
	}
	r.byName[name] = id
	return nil
}

// KfuncByName returns the id of the kfunc registered under name.
func (r *Registry) KfuncByName(name string) (int32, bool) {
	id, ok := r.byName[name]
	return id, ok
}

// Kfunc returns the kfunc with the given id, or nil.
func (r *Registry) Kfunc(id int32) *Kfunc {
	if id < 0 || int(id) >= len(r.kfuncs) {
		return nil
	}
	return r.kfuncs[id]
}
