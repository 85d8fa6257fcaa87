package verifier

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// Env is what the verifier knows about the world a program runs in.
type Env struct {
	// Maps are the VM's maps, indexed like the Imm of LD_IMM64 PseudoMapIdx.
	Maps []*bpfvm.MapSpec
	// Registry resolves helper ids and kfunc ids.
	Registry *bpfvm.Registry
	// KernelBTF holds the simulated kernel types (task_struct, cpumask...),
	// used to resolve helper BTF argument and return types by name.
	KernelBTF *btf.Spec
	// Args describe what r1 points to: a struct_ops callback receives a
	// pointer to an array of u64, one per argument (ctx[0], ctx[1]...).
	Args []ArgDesc
	// ReturnVoid: the callback returns nothing, r0 is not checked at exit.
	ReturnVoid bool
	// WritableField reports whether a program may store size bytes at off
	// into a kernel object of type t. Nil: no kernel object is writable.
	WritableField func(t *btf.Struct, off, size uint32) bool
	// TrustedField reports whether the pointer loaded from field off of a
	// trusted object of type t is itself trusted (the kernel's
	// BTF_TYPE_SAFE_TRUSTED lists). Nil: task_struct.cpus_ptr only.
	TrustedField func(t *btf.Struct, off uint32) bool
	// PerCPUKsym reports whether the typed kernel variable name (extern
	// T name __ksym) is a per-CPU variable (the kernel's .data..percpu):
	// its address is then a per-CPU pointer, usable only through
	// bpf_per_cpu_ptr() / bpf_this_cpu_ptr(). Nil: none is.
	PerCPUKsym func(name string) bool
	// ReadOnlyValue returns the size bytes (1, 2, 4 or 8) at offset off of
	// the value of read-only map mapIndex (a frozen .rodata or .kconfig
	// section), little-endian, zero-extended; ok is false when the bytes are
	// not known. A load at a constant offset from such a map then yields a
	// known constant, as the kernel's bpf_map_direct_read does for frozen
	// read-only maps: a bound such as `const volatile u32 nr_cpus` bounds a
	// loop or an index. Nil: loads from read-only maps are unknown scalars.
	ReadOnlyValue func(mapIndex int, off, size uint32) (uint64, bool)
	// Cache, when set, lets programs of one object share the verification
	// of their global functions (see Cache). Ignored when Log is set.
	Cache *Cache
	// MaxLocks is how many locks a path may hold at once (default 31, the
	// kernel's limit for resilient locks, RES_NR_HELD in 6.15).
	MaxLocks int
	// InsnLimit is the complexity limit in processed instructions
	// (default 1,000,000, the kernel's BPF_COMPLEXITY_LIMIT_INSNS).
	InsnLimit int
	// ProgType names the program type (e.g. "socket_filter", from the
	// ELF section) for messages; CtxNotModelled makes every access to the
	// context through r1 a NotModelled rejection ("program type X is not
	// modelled"), for program types whose context schedsim does not
	// describe. With Args set, the context is the u64 argument array.
	ProgType       string
	CtxNotModelled bool
	// CtxBuffer > 0 makes the context a plain buffer of that many bytes
	// that the program may read and write at aligned offsets, as
	// BPF_PROG_TYPE_SYSCALL's (syscall_prog_is_valid_access: U16_MAX).
	CtxBuffer int
	// ExitNotModelled: the program type restricts the return value in
	// ways not modelled; reaching the program's exit is a NotModelled
	// rejection.
	ExitNotModelled bool
	// HelperAllowed, if set, says whether this program type may call
	// helper id; a call of one it may not is rejected ("program of this
	// type cannot use helper"). Nil: every registered helper.
	HelperAllowed func(id int32) bool
	// KfuncModelled, if set, says whether a kfunc's availability to this
	// program type is modelled; a call to one that is not is a NotModelled
	// rejection. Nil: every registered kfunc may be called.
	KfuncModelled func(name string) bool
	// Unprivileged verifies as the kernel does a program loaded without
	// CAP_PERFMON/CAP_BPF: no pointer may leak (returned, stored into
	// maps or objects, used by atomics) and uninitialised stack may not be
	// read. sched_ext's loader is privileged, and by default both are
	// allowed (allow_ptr_leaks, allow_uninit_stack): a leaked pointer is
	// only a number, a read of uninitialised stack an unknown one.
	Unprivileged bool
	// NoBackEdges rejects every loop ("back-edge from insn X to Y"), as the
	// kernel does for programs loaded without CAP_BPF.
	NoBackEdges bool
	// Log receives the verifier log: on rejection, the failing instruction
	// and state; with Verbose, every instruction processed with its state.
	Log     io.Writer
	Verbose bool

	// traceFrom: log only instructions after this many were processed
	// (retrace)
	traceFrom int
	// widenAfter: the verifier's widenAfter (0: widenPreciseFirst, then,
	// for a rejection after precise scalars were widened, widenPreciseRetry)
	widenAfter int
}

// ArgDesc describes one argument of a struct_ops callback.
type ArgDesc struct {
	Name string
	// Type is the C type: an integer or enum (a scalar), or a pointer to a
	// struct (a trusted pointer to a kernel object). Nil means scalar.
	Type btf.Type
	// Nullable: the pointer may be NULL and must be checked before use.
	Nullable bool
}

// Result is what a successful verification reports.
type Result struct {
	Prog string
	// InsnsProcessed counts instructions symbolically executed, the number
	// the complexity limit applies to.
	InsnsProcessed int
	// StatesTotal counts states stored at prune points; PeakStates is the
	// maximum of stored plus queued states at any time.
	StatesTotal      int
	PeakStates       int
	MaxStatesPerInsn int
	// StackDepth is the stack used by each function, in the order of
	// their first instruction.
	StackDepth []int
	// LockEdges lists lock classes taken while another was held.
	LockEdges []LockEdge
	// Reused names the global functions whose verification for an earlier
	// program of the object was reused (Env.Cache): their instructions are
	// not counted in InsnsProcessed.
	Reused []string
	// Duration is the time Verify took. It is measured for display only
	// and never influences a verdict.
	Duration time.Duration
}

// Error is a rejection.
type Error struct {
	Prog    string
	PC      int
	Line    bpfvm.LineInfo // valid when HasLine
	HasLine bool
	Msg     string // the reason, in the kernel's words where it has some
	Log     string // the kernel-style log of the failing path
	// NotModelled: the program needs something schedsim does not model
	// (its program type's context, a helper or kfunc the environment does
	// not provide); the kernel's verdict may differ either way.
	NotModelled bool
}

func (e *Error) Error() string {
	where := fmt.Sprintf("%s+%d", e.Prog, e.PC)
	if e.HasLine && e.Line.File != "" {
		where += fmt.Sprintf(" (%s:%d)", e.Line.File, e.Line.Line)
	}
	return fmt.Sprintf("verifier: %s: %s", where, e.Msg)
}

// LockClass identifies a lock statically, as lockdep's lock classes do: the
// map (or global section) holding it and the offset of the lock field in
// the value.
type LockClass struct {
	Map string
	Off uint32
}

func (c LockClass) String() string { return fmt.Sprintf("%s+%d", c.Map, c.Off) }

// LockEdge records that Taken was acquired while Held was held.
type LockEdge struct {
	Held, Taken       LockClass
	Prog              string
	HeldPC, PC        int
	HeldLine, Line    bpfvm.LineInfo
	HasHeldL, HasLine bool
}

const defaultInsnLimit = 1000000

// traceLines is how many instructions of the failing path a rejection's
// log shows.
const traceLines = 8

// maxLoopCompare is how many in-progress states of a loop head a new visit
// is compared with.
const maxLoopCompare = 8

// maxAncestorWalk bounds the walk up a path's checkpoints looking for the
// previous visits of a loop head.
const maxAncestorWalk = 4096

// maxHistory is the length of a path's history since its last checkpoint
// beyond which the next prune point stores one.
const maxHistory = 128

// Verify checks p against env. It returns statistics on success and an
// *Error on rejection. It never panics on any input.
func Verify(p *bpfvm.Program, env *Env) (res *Result, err error) {
	if p == nil {
		return nil, &Error{Msg: "nil program"}
	}
	if env == nil {
		env = &Env{}
	}
	if env.widenAfter != 0 {
		res, err, _ = verifyOnce(p, env)
		return res, err
	}
	// First with the shortcut of forgetting precise scalars that still
	// change after widenPreciseFirst rounds of a loop; a program that
	// fails after such a loss is verified again unrolling up to
	// widenPreciseRetry rounds, closer to the kernel (which never forgets
	// them), the first attempt's log dropped. Each verdict is sound, so
	// accepting on either is.
	first := *env
	first.widenAfter = widenPreciseFirst
	var buf *bytes.Buffer
	if env.Log != nil {
		buf = new(bytes.Buffer)
		first.Log = buf
	}
	res, err, widened := verifyOnce(p, &first)
	if _, rejected := err.(*Error); !rejected || !widened {
		if buf != nil {
			env.Log.Write(buf.Bytes())
		}
		return res, err
	}
	retry := *env
	retry.widenAfter = widenPreciseRetry
	retry.Cache = nil // the first attempt's global functions are not reused
	res, err, _ = verifyOnce(p, &retry)
	return res, err
}

// verifyOnce is one verification with env.widenAfter; widened tells
// whether a precise scalar was forgotten at a loop head.
func verifyOnce(p *bpfvm.Program, env *Env) (res *Result, err error, widened bool) {
	start := time.Now() // wall clock: display only
	v := &verifier{prog: p, env: env, limit: env.InsnLimit, maxLocks: env.MaxLocks, widenAfter: env.widenAfter}
	defer func() { widened = v.widenedPrecise }()
	if v.limit <= 0 {
		v.limit = defaultInsnLimit
	}
	if v.maxLocks <= 0 {
		v.maxLocks = 31
	}
	v.initMaps()
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = v.internalError(r)
		}
	}()
	if err := v.checkStatic(); err != nil {
		return nil, err, false
	}
	if err := v.explore(); err != nil {
		if env.Log == nil {
			err = v.retrace(err)
		}
		return nil, err, false
	}
	v.removeFastcall()
	if err := v.checkStackDepth(); err != nil {
		return nil, err, false
	}
	res = &Result{Prog: p.Name, InsnsProcessed: v.processed, StatesTotal: v.totalStates,
		PeakStates: v.peakStates, MaxStatesPerInsn: v.maxPerInsn, LockEdges: v.edges, Reused: v.reusedGlobals}
	for _, sp := range v.subprogs {
		res.StackDepth = append(res.StackDepth, sp.stackDepth)
	}
	res.Duration = time.Since(start) // wall clock: display only
	if env.Log != nil {
		fmt.Fprintf(env.Log, "verification time %d usec\nstack depth %s\n%s\n",
			res.Duration.Microseconds(), v.depthString(), v.statsLine())
	}
	return res, nil, false
}

// retrace gives a rejection found without a log the kernel-style log of
// the failing path: verification is deterministic, so a second run that
// records the recent instructions fails at the same place.
func (v *verifier) retrace(err error) error {
	ve, ok := err.(*Error)
	if !ok {
		return err
	}
	env := *v.env
	env.Log, env.Verbose = io.Discard, false
	// the same run fails at the same count: format only the instructions
	// that can end up in the trace
	env.traceFrom = v.processed - traceLines - 1
	_, err2 := Verify(v.prog, &env)
	if ve2, ok := err2.(*Error); ok && ve2.PC == ve.PC && ve2.Msg == ve.Msg {
		ve.Log = ve2.Log
	}
	return ve
}

func (v *verifier) internalError(r any) error {
	msg := fmt.Sprintf("verifier internal error: %v", r)
	return &Error{Prog: v.prog.Name, PC: v.pc, Msg: msg, Log: msg + "\n"}
}

type pendingPath struct {
	st *vstate
	pc int
}

type verifier struct {
	fc *fastcall // bpf_fastcall patterns (fastcall.go)
	// widenAfter: loop rounds on one path after which precise scalars
	// that still change are forgotten (widenAtLoopHead); widenedPrecise:
	// one was
	widenAfter     int
	widenedPrecise bool
	prog           *bpfvm.Program
	env            *Env
	limit          int
	maxLocks       int

	info     []insnInfo
	subprogs []subprog

	// maps are env.Maps followed by the inner map templates of the
	// map-in-maps; innerIdx[i] is the index in maps of map i's template
	// (-1 if map i holds no maps).
	maps     []*bpfvm.MapSpec
	innerIdx []int32

	queue    []pendingPath
	explored []*pcStates
	stored   int

	processed   int
	totalStates int
	peakStates  int
	maxPerInsn  int
	jmps        int
	prevJmps    int
	prevInsns   int

	idGen uint32
	pc    int // instruction being checked, for messages
	cmp   comparer

	// async lists the subprograms verified as bpf_timer callbacks: roots
	// of their own call chains for the stack depth.
	async map[int]bool
	// globalOrder lists the global functions called by verified paths, in
	// the order first called: each is verified on its own after the program.
	globalOrder []int
	// recorder collects what the exploration of a global function must
	// leave in the Cache; reusedGlobals lists the global functions whose
	// verification came from the Cache.
	recorder      *globalRecorder
	reusedGlobals []string
	// freeFrames and stacks are frames and stacks of ended paths, reused
	// by cloneState and ownStack.
	freeFrames []*funcState
	stacks     stackPool
	// types interns the BTF types registers point to (regState.btfIdx);
	// types[0] is nil.
	types   []btf.Type
	typeIdx map[btf.Type]uint32
	// links are the linked scalars recorded at conditional jumps
	// (histEntry.link).
	links [][]linkHolder
	// fields memoises specialFields per BTF type.
	fields map[btf.Type][]specialField

	edges    []LockEdge
	edgeSeen map[[2]LockClass]bool

	trace []string // recent log lines of the current path (non-verbose)
}

func (v *verifier) newID() uint32 {
	v.idGen++
	return v.idGen
}

// typeID interns t for regState.btfIdx.
func (v *verifier) typeID(t btf.Type) uint32 {
	if t == nil {
		return 0
	}
	if i, ok := v.typeIdx[t]; ok {
		return i
	}
	if v.typeIdx == nil {
		v.typeIdx = make(map[btf.Type]uint32)
		v.types = append(v.types[:0], nil)
	}
	i := uint32(len(v.types))
	v.types = append(v.types, t)
	v.typeIdx[t] = i
	return i
}

// btfT is the type interned as i.
func (v *verifier) btfT(i uint32) btf.Type {
	if i == 0 || int(i) >= len(v.types) {
		return nil
	}
	return v.types[i]
}

func (v *verifier) mapSpec(i int) *bpfvm.MapSpec {
	if i < 0 || i >= len(v.maps) {
		return nil
	}
	return v.maps[i]
}

// initMaps gives each map-in-map's inner map template an index of its own
// after the object's maps: a pointer to an inner map found by a lookup is a
// CONST_PTR_TO_MAP of that template, as the kernel's map_ptr becomes
// inner_map_meta (mark_ptr_not_null_reg).
func (v *verifier) initMaps() {
	v.maps = append([]*bpfvm.MapSpec(nil), v.env.Maps...)
	v.innerIdx = make([]int32, len(v.env.Maps))
	for i, ms := range v.env.Maps {
		v.innerIdx[i] = -1
		if ms != nil && ms.Inner != nil && (ms.Type == bpfvm.MapArrayOfMaps || ms.Type == bpfvm.MapHashOfMaps) {
			v.innerIdx[i] = int32(len(v.maps))
			v.maps = append(v.maps, ms.Inner)
		}
	}
}

// innerTemplate is the index of the inner map template of map i, or -1.
func (v *verifier) innerTemplate(i int32) int32 {
	if i < 0 || int(i) >= len(v.innerIdx) {
		return -1
	}
	return v.innerIdx[i]
}

func (v *verifier) kfuncName(id int32) string {
	if v.env.Registry == nil {
		return ""
	}
	if k := v.env.Registry.Kfunc(id); k != nil {
		return k.Name
	}
	return ""
}

// errorf builds a rejection at pc, with the log of the failing path.
func (v *verifier) errorf(pc int, format string, args ...any) error {
	return v.errorState(nil, pc, format, args...)
}

// sleepable: BPF_F_SLEEPABLE, which libbpf always sets for SEC("syscall").
func (v *verifier) sleepable() bool { return v.prog.Sleepable || v.env.ProgType == "syscall" }

func (v *verifier) progType() string {
	if v.env.ProgType != "" {
		return v.env.ProgType
	}
	return "unknown"
}

// notModelled is a rejection for lack of a model (Error.NotModelled).
func (v *verifier) notModelled(st *vstate, pc int, format string, args ...any) error {
	err := v.errorState(st, pc, format, args...)
	var e *Error
	if errors.As(err, &e) {
		e.NotModelled = true
	}
	return err
}

func (v *verifier) errorState(st *vstate, pc int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	e := &Error{Prog: v.prog.Name, PC: pc, Msg: msg}
	if l, ok := v.prog.LineFor(pc); ok {
		e.Line, e.HasLine = l, true
	}
	var b strings.Builder
	trace := v.trace
	if n := len(trace); n > 0 && (strings.HasPrefix(trace[n-1], fmt.Sprintf("%d: (", pc)) ||
		strings.Contains(trace[n-1], fmt.Sprintf("\n%d: (", pc))) {
		trace = trace[:n-1]
	}
	for _, t := range trace {
		b.WriteString(t)
	}
	if st != nil {
		fmt.Fprintf(&b, "%d: %s\n", pc, v.stateString(st))
	}
	if pc >= 0 && pc < len(v.prog.Insns) {
		if e.HasLine {
			fmt.Fprintf(&b, "; %s @ %s:%d\n", strings.TrimSpace(e.Line.Source), e.Line.File, e.Line.Line)
		}
		fmt.Fprintf(&b, "%d: %s\n", pc, bpfvm.DisasmKernel(v.prog.Insns, pc, v.env.Registry))
	}
	b.WriteString(msg)
	b.WriteByte('\n')
	b.WriteString(v.statsLine())
	b.WriteByte('\n')
	e.Log = b.String()
	if v.env.Log != nil {
		io.WriteString(v.env.Log, e.Log)
	}
	return e
}

func (v *verifier) statsLine() string {
	return fmt.Sprintf("processed %d insns (limit %d) max_states_per_insn %d total_states %d peak_states %d",
		v.processed, v.limit, v.maxPerInsn, v.totalStates, v.peakStates)
}

func (v *verifier) depthString() string {
	var parts []string
	for _, sp := range v.subprogs {
		parts = append(parts, fmt.Sprint(sp.stackDepth))
	}
	return strings.Join(parts, "+")
}

// logInsn records the state and instruction about to be checked.
func (v *verifier) logInsn(st *vstate, pc int) {
	line := ""
	if l, ok := v.prog.LineFor(pc); ok && l.Insn == pc && l.Source != "" {
		line = "; " + strings.TrimSpace(l.Source) + "\n"
	}
	s := fmt.Sprintf("%s%d: %s ; %s\n", line, pc, bpfvm.DisasmKernel(v.prog.Insns, pc, v.env.Registry), v.stateString(st))
	if v.env.Verbose && v.env.Log != nil {
		io.WriteString(v.env.Log, s)
		return
	}
	if v.env.Log != nil {
		// keep the last few lines of the current path for the rejection log
		if len(v.trace) >= traceLines {
			copy(v.trace, v.trace[1:])
			v.trace = v.trace[:traceLines-1]
		}
		v.trace = append(v.trace, s)
	}
}

// ---- exploration (do_check) ----

func (v *verifier) initialState() *vstate {
	f := &funcState{callsite: -1, pool: &v.stacks}
	f.regs[1] = makePtr(ptrToCtx)
	f.regs[10] = makePtr(ptrToStack)
	return &vstate{frames: []*funcState{f}}
}

func (v *verifier) explore() error {
	v.explored = make([]*pcStates, len(v.prog.Insns))
	v.queue = append(v.queue, pendingPath{v.initialState(), 0})
	if err := v.drain(); err != nil {
		return err
	}
	return v.exploreGlobals()
}

// drain explores the queued paths until none is left.
func (v *verifier) drain() error {
	for len(v.queue) > 0 {
		p := v.queue[len(v.queue)-1]
		v.queue = v.queue[:len(v.queue)-1]
		v.trace = v.trace[:0]
		if err := v.walk(p.st, p.pc); err != nil {
			return err
		}
	}
	return nil
}

// cloneState copies s (copy_verifier_state); the copy shares s's stacks
// until either writes, and its frames are recycled from ended paths.
func (v *verifier) cloneState(s *vstate) *vstate {
	n := &vstate{frames: make([]*funcState, len(s.frames)), parent: s.parent, mayGotoDepth: s.mayGotoDepth, rcuLock: s.rcuLock,
		cbUnroll: s.cbUnroll, asyncEntry: s.asyncEntry, segWritten: s.segWritten, loopEntry: s.loopEntry, dfsDepth: s.dfsDepth}
	// share the history so far; an append by either reallocates
	s.hist = s.hist[:len(s.hist):len(s.hist)]
	n.hist = s.hist
	for i, f := range s.frames {
		var nf *funcState
		if k := len(v.freeFrames); k > 0 {
			nf = v.freeFrames[k-1]
			v.freeFrames = v.freeFrames[:k-1]
		} else {
			nf = new(funcState)
		}
		*nf = *f
		f.share(nf)
		n.frames[i] = nf
	}
	if len(s.refs) > 0 {
		n.refs = append([]refState(nil), s.refs...)
	}
	if len(s.locks) > 0 {
		n.locks = append([]heldLock(nil), s.locks...)
	}
	return n
}

// release recycles the frames of st, a path that ended: nothing else
// refers to them (checkpoints and queued paths hold their own copies).
func (v *verifier) release(st *vstate) {
	for i, f := range st.frames {
		if f.dropStack() && cap(f.stack) > 0 {
			v.stacks.free = append(v.stacks.free, f.stack[:0])
		}
		f.stack = nil
		v.freeFrames = append(v.freeFrames, f)
		st.frames[i] = nil
	}
	st.frames = st.frames[:0]
}

// push queues a copy of st to be explored from pc later (push_stack).
func (v *verifier) push(st *vstate, pc int) *vstate {
	n := v.cloneState(st)
	if n.parent != nil {
		n.parent.pending++
	}
	v.queue = append(v.queue, pendingPath{n, pc})
	v.peakStates = max(v.peakStates, v.stored+len(v.queue))
	return n
}

// pathDone ends a path: its checkpoints no longer have it pending
// (update_branch_counts). A checkpoint with nothing pending is complete:
// it may now prune other paths.
func (v *verifier) pathDone(st *vstate) {
	if st.parent != nil && st.loopEntry != nil {
		updateCheckpointLoopEntry(st.parent, st.loopEntry)
	}
	for c := st.parent; c != nil; c = c.parent {
		c.pending--
		if c.pending > 0 {
			break
		}
		if c.parent != nil && c.loopEntry != nil {
			updateCheckpointLoopEntry(c.parent, c.loopEntry)
		}
		v.complete(c)
	}
}

// pcStates holds the checkpoints of one instruction: complete ones (which
// prune by subsumption) and in-progress ones, indexed by an exact-state hash
// for infinite-loop detection (and listed for loop heads).
type pcStates struct {
	done     []*checkpoint
	active   map[uint64][]*checkpoint
	loopList []*checkpoint
	nActive  int
}

func (v *verifier) complete(c *checkpoint) {
	ps := v.explored[c.pc]
	if ps == nil {
		return
	}
	if b := ps.active[c.hash]; b != nil {
		for i, x := range b {
			if x == c {
				b = append(b[:i], b[i+1:]...)
				break
			}
		}
		if len(b) == 0 {
			delete(ps.active, c.hash)
		} else {
			ps.active[c.hash] = b
		}
	}
	for i, x := range ps.loopList {
		if x == c {
			ps.loopList = append(ps.loopList[:i], ps.loopList[i+1:]...)
			break
		}
	}
	ps.nActive--
	ps.done = append(ps.done, c)
}

// walk explores one path until it exits, is pruned or fails.
func (v *verifier) walk(st *vstate, pc int) error {
	for {
		v.pc = pc
		if pc < 0 || pc >= len(v.prog.Insns) {
			return v.errorState(st, pc, "invalid insn idx %d insn_cnt %d", pc, len(v.prog.Insns))
		}
		if v.info[pc].prune {
			pruned, err := v.isStateVisited(st, pc)
			if err != nil {
				return err
			}
			if pruned {
				v.pathDone(st)
				v.release(st)
				return nil
			}
		}
		st.record(pc)
		v.processed++
		if v.processed > v.limit {
			return v.errorState(st, pc, "BPF program is too large. Processed %d insn", v.processed)
		}
		v.info[pc].seen = true
		if v.env.Log != nil && (v.env.Verbose || v.processed > v.env.traceFrom) {
			v.logInsn(st, pc)
		}
		next, done, err := v.step(st, pc)
		if err != nil {
			return err
		}
		if done {
			v.pathDone(st)
			v.release(st)
			return nil
		}
		pc = next
	}
}

// liveMasks gives, per frame, the registers worth comparing.
func (v *verifier) liveMasks(st *vstate, pc int) []uint16 {
	live := make([]uint16, len(st.frames))
	for i := range st.frames {
		if i == len(st.frames)-1 {
			live[i] = v.info[pc].liveIn
			continue
		}
		callee := st.frames[i+1]
		cs := callee.callsite
		switch callee.cb {
		case cbLoop:
			live[i] = v.info[cs].liveIn
		case cbRbLess:
			live[i] = 0
		default:
			if cs+1 < len(v.info) {
				live[i] = v.info[cs+1].liveIn & 0x3c0
			}
		}
	}
	return live
}

// isStateVisited is is_state_visited: prune when a complete stored state
// at pc covers st; at loop heads (iterator next, may_goto, bpf_loop) also
// when an in-progress one does; detect infinite loops; store st as a new
// checkpoint.
func (v *verifier) isStateVisited(st *vstate, pc int) (bool, error) {
	ps := v.explored[pc]
	if ps == nil {
		ps = &pcStates{}
		v.explored[pc] = ps
	}
	live := v.liveMasks(st, pc)
	loopHead := v.info[pc].loopHead
	looping := ps.nActive > 0
	addNew := v.addNewState(st, loopHead, looping)
	v.cmp.exact = false
	kept := ps.done[:0]
	pruned := false
	for i, c := range ps.done {
		if pruned {
			kept = append(kept, ps.done[i:]...)
			break
		}
		// a checkpoint of a loop still in progress has no final marks:
		// it covers only states within its ranges everywhere
		entry, forceExact := inLoopInProgress(c)
		var eq bool
		if forceExact {
			eq = v.cmp.statesEqual(c.st, st, live, nil)
		} else {
			v.cmp.precise = true
			eq = v.cmp.statesEqual(c.st, st, live, &c.read)
			v.cmp.precise = false
		}
		if eq {
			if forceExact {
				updateStateLoopEntry(st, entry)
			}
			c.hits++
			pruned = true
			kept = append(kept, c)
			v.propagatePrecision(c, st, live)
			// the pruned path would read what c's paths read
			// (propagate_liveness)
			for fr := range st.frames {
				if fr < len(c.read) {
					v.markRead(st, fr, c.read[fr])
				}
			}
			continue
		}
		if addNew {
			// a miss counts only when a new state is stored here, or
			// the loop's rounds would evict the states of its first
			// ones (the kernel's add_new_state)
			c.miss++
		}
		if c.miss > c.hits*3+3 {
			// unlikely to be useful: forget it (like the kernel)
			v.stored--
			continue
		}
		kept = append(kept, c)
	}
	ps.done = kept
	if pruned {
		return true, nil
	}
	if loopHead && len(ps.loopList) > 0 && v.loopHeadPrunable(st, pc) {
		// the most recent visits only: widening makes them the ones that
		// converge, and older ones would make long loops quadratic
		recent := ps.loopList[max(0, len(ps.loopList)-maxLoopCompare):]
		for _, c := range recent {
			// a may_goto's in-progress state covers only one of
			// another depth (is_state_visited): the same depth back
			// at the same may_goto made no progress
			if v.info[pc].mayGoto && c.st.mayGotoDepth == st.mayGotoDepth {
				continue
			}
			if v.cmp.statesEqual(c.st, st, live, nil) {
				c.hits++
				updateStateLoopEntry(st, c)
				return true, nil
			}
		}
	}
	h := stateHash(st)
	if !loopHead || v.info[pc].mayGoto {
		// (iterator next and callback calls skip the check, may_goto
		// does not: skip_inf_loop_check)
		v.cmp.exact = true
		for _, c := range ps.active[h] {
			if v.cmp.statesEqual(c.st, st, nil, nil) {
				return false, v.errorState(st, pc, "infinite loop detected at insn %d", pc)
			}
		}
		v.cmp.exact = false
	}
	if !addNew {
		return false, nil
	}
	v.prevJmps, v.prevInsns = v.jmps, v.processed
	clearSingularIDs(st, live)
	c := &checkpoint{st: v.cloneState(st), pc: pc, parent: st.parent, pending: 1, hash: h, written: st.segWritten, hist: st.hist,
		loopEntry: st.loopEntry, depth: st.dfsDepth}
	st.dfsDepth = c.depth + 1
	c.st.parent = nil
	c.st.hist = nil
	st.parent = c
	st.hist = nil
	st.segWritten = [bpfvm.MaxCallFrames]uint64{}
	if ps.active == nil {
		ps.active = make(map[uint64][]*checkpoint)
	}
	ps.active[h] = append(ps.active[h], c)
	if loopHead {
		ps.loopList = append(ps.loopList, c)
	}
	ps.nActive++
	v.stored++
	v.totalStates++
	v.maxPerInsn = max(v.maxPerInsn, len(ps.done)+ps.nActive)
	v.peakStates = max(v.peakStates, v.stored+len(v.queue))
	return false, nil
}

// addNewState: store a new checkpoint only after 2 jumps and 8
// instructions since the last one, in loops after 20 jumps or 100
// instructions (the kernel's add_new_state); always at loop heads, and
// when the path history grows long (the kernel's jmp_history_cnt > 40).
func (v *verifier) addNewState(st *vstate, loopHead, looping bool) bool {
	if loopHead || len(st.hist) > maxHistory {
		return true
	}
	if looping && v.jmps-v.prevJmps < 20 && v.processed-v.prevInsns < 100 {
		return false
	}
	return v.jmps-v.prevJmps >= 2 && v.processed-v.prevInsns >= 8
}

// clearSingularIDs drops the scalar ids that link nothing: those of dead
// registers, and those only one live register or spill holds. They would
// only make otherwise equal states differ.
func clearSingularIDs(st *vstate, live []uint16) {
	var ids [64]uint32
	var cnt [64]uint8
	n := 0
	overflow := false
	count := func(r *regState) {
		if r.typ != scalarValue || r.id == 0 {
			return
		}
		for i := 0; i < n; i++ {
			if ids[i] == r.id {
				if cnt[i] < 2 {
					cnt[i]++
				}
				return
			}
		}
		if n == len(ids) {
			overflow = true
			return
		}
		ids[n], cnt[n] = r.id, 1
		n++
	}
	isLive := func(fi, r int) bool { return fi >= len(live) || live[fi]&(1<<r) != 0 }
	for fi, f := range st.frames {
		for r := 0; r < 10; r++ {
			if isLive(fi, r) {
				count(&f.regs[r])
			}
		}
		for i := range f.stack {
			if f.stack[i].isSpill() {
				count(&f.stack[i].spill)
			}
		}
	}
	if overflow {
		return
	}
	clear := func(r *regState, dead bool) {
		if r.typ != scalarValue || r.id == 0 {
			return
		}
		if dead {
			r.id, r.off = 0, 0
			return
		}
		for i := 0; i < n; i++ {
			if ids[i] == r.id && cnt[i] == 1 {
				r.id, r.off = 0, 0
			}
		}
	}
	for fi, f := range st.frames {
		for r := 0; r < 10; r++ {
			clear(&f.regs[r], !isLive(fi, r))
		}
		for i := range f.stack {
			if f.stack[i].isSpill() {
				r := f.stack[i].spill
				clear(&r, false)
				if r != f.stack[i].spill {
					f.ownStack()
					f.stack[i].spill = r
				}
			}
		}
	}
}

// markRead records that the current path reads the stack slots mask of
// frame fr: every checkpoint up the path whose value of a slot is the one
// read (no full write of it in between) needs it (mark_reg_read).
func (v *verifier) markRead(st *vstate, fr int, mask uint64) {
	if fr < 0 || fr >= len(st.segWritten) {
		return
	}
	mask &^= st.segWritten[fr]
	for c := st.parent; c != nil && mask != 0; c = c.parent {
		if fr >= len(c.st.frames) {
			return
		}
		mask &^= c.read[fr] // marked before, up to a write
		c.read[fr] |= mask
		mask &^= c.written[fr]
	}
}

// slotMask is the mask of the stack slots covering bytes [lo, hi) below
// the frame pointer (lo, hi <= 0).
func slotMask(lo, hi int64) uint64 {
	if hi > 0 {
		hi = 0
	}
	if lo < -bpfvm.StackSize {
		lo = -bpfvm.StackSize
	}
	var m uint64
	for a := lo; a < hi; a++ {
		m |= slotMaskAt(a)
	}
	return m
}

func slotMaskAt(a int64) uint64 { return 1 << uint((-a-1)/8) }

// stackRead marks bytes [lo, hi) of reg's frame read.
func (v *verifier) stackRead(st *vstate, reg *regState, lo, hi int64) {
	fr := len(st.frames) - 1
	if int(reg.frameNo) < len(st.frames) {
		fr = int(reg.frameNo)
	}
	v.markRead(st, fr, slotMask(lo, hi))
}

// stackWritten records a full write of the slot holding byte a.
func (v *verifier) stackWritten(st *vstate, reg *regState, a int64) {
	fr := len(st.frames) - 1
	if int(reg.frameNo) < len(st.frames) {
		fr = int(reg.frameNo)
	}
	if fr < len(st.segWritten) && a < 0 && a >= -bpfvm.StackSize {
		st.segWritten[fr] |= slotMaskAt(a)
	}
}

// loopHeadPrunable: at an iterator next call the iterator must still be
// active for the loop to be known to terminate (process_iter_next_call).
func (v *verifier) loopHeadPrunable(st *vstate, pc int) bool {
	in := v.prog.Insns[pc]
	if in.Op == bpfvm.ClassJMP|bpfvm.JmpCALL && in.Src == bpfvm.CallKfunc {
		r1 := &st.cur().regs[1]
		slot, ok := v.iterSlot(st, r1, false)
		return ok && slot.spill.iterState == iterActive
	}
	return true
}

// widenAtLoopHead is widen_imprecise_scalars (verifier.c 6.12), applied
// to the state that goes round an iterator or may_goto loop once more: the
// scalars (registers and spilled, in every frame) that differ from the
// previous entry of this loop head on the path (find_prev_entry) and are
// precise in neither are forgotten, so that the loop's states converge; a
// counter that a branch or an access relied on is precise and kept.
// depth is the number of rounds of this loop on the path (an iterator's
// depth); 0 for may_goto, whose rounds are counted per loop head here.
func (v *verifier) widenAtLoopHead(st *vstate, pc int, depth uint32) {
	c := st.parent
	var self *checkpoint
	if c != nil && c.pc == pc {
		self = c
		c = c.parent // the checkpoint stored for this very visit
	}
	for steps := 0; c != nil && steps < maxAncestorWalk; c, steps = c.parent, steps+1 {
		if c.pc == pc && sameCallsites(c.st, st) {
			break
		}
	}
	if c == nil || c.pc != pc || !sameCallsites(c.st, st) {
		return
	}
	if depth == 0 {
		// the rounds of this loop, not of every may_goto loop on the
		// path: a 32-round loop before this one must not make this one's
		// precise counters forgettable (scx's sdt_alloc: a spilled level
		// index after the 32 attempts of scx_alloc_attempt)
		depth = c.rounds + 1
		if self != nil {
			self.rounds = depth
		}
	}
	old := c.st
	// a deviation: after v.widenAfter rounds of one loop on the path
	// precise scalars that still change are forgotten too (the kernel
	// goes on unrolling such a loop until the complexity limit)
	all := depth > uint32(v.widenAfter)
	widen := func(o, cur *regState) bool {
		if o.typ != scalarValue || cur.typ != scalarValue || (o.precise || cur.precise) && !all || o.bounds == cur.bounds {
			return false
		}
		if o.precise || cur.precise {
			v.widenedPrecise = true
		}
		*cur = unknownScalar()
		return true
	}
	for i := range st.frames {
		of, cf := old.frames[i], st.frames[i]
		for r := 0; r < 10; r++ {
			widen(&of.regs[r], &cf.regs[r])
		}
		for s := range of.stack {
			if s >= len(cf.stack) {
				break
			}
			os, cs := &of.stack[s], &cf.stack[s]
			if !os.isSpill() || !cs.isSpill() || cs.spill.typ != scalarValue {
				continue
			}
			r := cs.spill
			if widen(&os.spill, &r) {
				cf.ownStack()
				cf.stack[s].spill = r
			}
		}
	}
}

// widenPreciseFirst, widenPreciseRetry: loop rounds on one path after
// which even precise scalars that change are widened (widenAtLoopHead), on
// the first attempt and on the retry of a program the first rejected after
// widening one (Verify).
const (
	widenPreciseFirst = 32
	widenPreciseRetry = 1024
)

// sameCallsites: two states in the same function by the same call chain.
func sameCallsites(a, b *vstate) bool {
	if len(a.frames) != len(b.frames) {
		return false
	}
	for i := range a.frames {
		if a.frames[i].callsite != b.frames[i].callsite {
			return false
		}
	}
	return true
}

// checkStackDepth is check_max_stack_depth: the stack of a call chain,
// each frame rounded up to 16 bytes, is at most 512 bytes. The kernel
// rounds to 16 when the program is JIT-compiled (round_up_stack_depth),
// as sched_ext programs are on x86-64; its interpreter's 32 bytes (at
// least one unit a frame) apply only without the JIT.
func (v *verifier) checkStackDepth() error {
	for i := range v.subprogs {
		v.subprogs[i].calls = v.subprogs[i].calls[:0]
		for pc := v.subprogs[i].start; pc < v.subprogs[i].end; pc++ {
			in := v.prog.Insns[pc]
			if !v.info[pc].seen || v.info[pc].second {
				continue
			}
			// calls, and callbacks whose address the function takes (a
			// bpf_loop or rbtree less() callback runs on top of its
			// frame); timer callbacks are roots of their own
			isCall := in.Op == bpfvm.ClassJMP|bpfvm.JmpCALL && in.Src == bpfvm.CallLocal
			isFn := in.IsLdImm64() && in.Src == bpfvm.PseudoFunc
			if !isCall && !isFn {
				continue
			}
			if t := v.subprogIndex(pc + 1 + int(in.Imm)); t >= 0 && !(isFn && v.async[t]) {
				v.subprogs[i].calls = append(v.subprogs[i].calls, t)
			}
		}
	}
	// deepest chain from each function (memoised). Exploration bounds the
	// chains of static calls to MaxCallFrames; a cycle (recursion through
	// a global function, which is not explored at its calls) has no
	// bound: it counts as MaxCallFrames more frames.
	type worst struct{ depth, frames int }
	memo := make([]worst, len(v.subprogs))
	state := make([]uint8, len(v.subprogs)) // 0 new, 1 in progress, 2 done
	var walk func(sp int) worst
	walk = func(sp int) worst {
		if state[sp] == 2 {
			return memo[sp]
		}
		if state[sp] == 1 {
			return worst{frames: bpfvm.MaxCallFrames}
		}
		state[sp] = 1
		own := (v.subprogs[sp].stackDepth + 15) &^ 15
		best := worst{own, 1}
		for _, c := range v.subprogs[sp].calls {
			w := walk(c)
			if own+w.depth > best.depth || own+w.depth == best.depth && w.frames+1 > best.frames {
				best = worst{own + w.depth, w.frames + 1}
			}
		}
		state[sp] = 2
		memo[sp] = best
		return best
	}
	for sp := range v.subprogs {
		if sp != 0 && !v.async[sp] {
			continue
		}
		w := walk(sp)
		at := v.subprogs[sp].start
		if w.frames > bpfvm.MaxCallFrames {
			// the kernel's walk stops at the first call that makes
			// frame index MAX_CALL_FRAMES and prints that index
			// (check_max_stack_depth_subprog)
			return v.errorf(at, "the call stack of %d frames is too deep !", bpfvm.MaxCallFrames)
		}
		if w.depth > bpfvm.StackSize {
			return v.errorf(at, "combined stack size of %d calls is %d. Too large", w.frames, w.depth)
		}
	}
	return nil
}

func (v *verifier) subprogIndex(start int) int {
	for i, sp := range v.subprogs {
		if sp.start == start {
			return i
		}
	}
	return -1
}

func (v *verifier) subprogOf(pc int) int {
	for i := len(v.subprogs) - 1; i >= 0; i-- {
		if v.subprogs[i].start <= pc {
			return i
		}
	}
	return 0
}

// ErrNoStructOpsMember: the kernel's struct_ops type has no such member.
var ErrNoStructOpsMember = errors.New("no such struct_ops member")

// StructOpsArgs describes the arguments of member of the struct_ops type
// structName (e.g. "sched_ext_ops", "enqueue") from the kernel BTF: what a
// program implementing that member finds in ctx[0], ctx[1]... Pointers to
// structs are trusted kernel objects; everything else is a scalar.
// returnVoid tells whether the member returns nothing.
func StructOpsArgs(kernel *btf.Spec, structName, member string) (args []ArgDesc, returnVoid bool, err error) {
	if kernel == nil {
		return nil, false, fmt.Errorf("verifier: no kernel BTF to describe %s.%s", structName, member)
	}
	var s *btf.Struct
	if err := kernel.TypeByName(structName, &s); err != nil {
		return nil, false, fmt.Errorf("verifier: kernel BTF: %w", err)
	}
	for _, m := range s.Members {
		if m.Name != member {
			continue
		}
		p, ok := btf.UnderlyingType(m.Type).(*btf.Pointer)
		if !ok {
			return nil, false, fmt.Errorf("verifier: %s.%s is not a function pointer", structName, member)
		}
		fp, ok := btf.UnderlyingType(p.Target).(*btf.FuncProto)
		if !ok {
			return nil, false, fmt.Errorf("verifier: %s.%s is not a function pointer", structName, member)
		}
		nullable := nullableStructOpsArgs(kernel, structName, member)
		for i, prm := range fp.Params {
			_, isPtr := btf.UnderlyingType(prm.Type).(*btf.Pointer)
			args = append(args, ArgDesc{Name: prm.Name, Type: prm.Type, Nullable: isPtr && i < 64 && nullable&(1<<i) != 0})
		}
		_, void := btf.UnderlyingType(fp.Return).(*btf.Void)
		return args, void || fp.Return == nil, nil
	}
	return nil, false, fmt.Errorf("verifier: %s has no member %s: %w", structName, member, ErrNoStructOpsMember)
}

// knownNullable is the mask of the struct_ops arguments the kernel may
// pass as NULL when the kernel BTF has no stub to say so: kernel/sched/ext.c
// (6.12) declares the stubs sched_ext_ops__dispatch(s32 cpu, struct
// task_struct *prev__nullable) (prev is NULL when the CPU was idle) and
// sched_ext_ops__yield(struct task_struct *from, struct task_struct
// *to__nullable).
func knownNullable(structName, member string) uint64 {
	if structName == "sched_ext_ops" && (member == "dispatch" || member == "yield") {
		return 1 << 1
	}
	return 0
}

// nullableStructOpsArgs is the mask of the arguments of structName.member
// that may be NULL: from the parameters named with the suffix __nullable
// of its CFI stub function <structName>__<member> in the kernel BTF (as
// bpf_struct_ops_desc_init reads them), else from knownNullable.
func nullableStructOpsArgs(kernel *btf.Spec, structName, member string) uint64 {
	var stub *btf.Func
	if err := kernel.TypeByName(structName+"__"+member, &stub); err == nil {
		if fp, ok := stub.Type.(*btf.FuncProto); ok {
			var m uint64
			for i, prm := range fp.Params {
				if strings.HasSuffix(prm.Name, "__nullable") && i < 64 {
					m |= 1 << i
				}
			}
			return m
		}
	}
	return knownNullable(structName, member)
}
