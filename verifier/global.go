package verifier

import (
	"fmt"
	"slices"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// Global subprograms (kernel/bpf/verifier.c of 6.12: do_check_subprogs,
// btf_prepare_func_args and btf_check_func_arg_match in kernel/bpf/btf.c).
//
// A non-static function (BTF linkage global, e.g. `__noinline int f(...)`)
// is verified once, on its own, with arguments made from its BTF prototype,
// and only if some verified path calls it. A call to it is then checked
// like a helper call: its arguments against the prototype, r1-r5 clobbered
// and r0 an unknown scalar. This keeps the cost of a function that many
// paths call linear instead of multiplying it by the callers' states, at
// the price of what the callee knows: nothing about the caller's values.
//
// As in the kernel, a global function returns an integer, takes at most
// five arguments (integers, enums, pointers to sized memory, the context
// with __arg_ctx, trusted kernel objects with __arg_trusted), may not be
// called while a lock is held, and must release at its exit every lock and
// reference it took.

// globalArgKind is how a global function sees one argument.
type globalArgKind uint8

const (
	gArgScalar  globalArgKind = iota
	gArgCtx                   // __arg_ctx: the program's context
	gArgMem                   // pointer to size bytes, NULL unless __arg_nonnull
	gArgTrusted               // __arg_trusted: a trusted kernel object
	gArgArena                 // __arg_arena: an arena pointer, seen as a number
	gArgDynptr                // struct bpf_dynptr *: ARG_PTR_TO_DYNPTR | MEM_RDONLY
)

type globalArg struct {
	kind     globalArgKind
	size     uint32
	nullable bool
	typ      btf.Type // the struct of gArgTrusted
}

// globalFunc is what the verifier knows of a global subprogram.
type globalFunc struct {
	prepared bool
	err      string // why its prototype is not supported
	args     []globalArg
	called   bool // some verified path calls it: verify it
	queued   bool
}

// isGlobal reports whether subprogram sp is a global function (the entry
// point never is: it is the program).
func (v *verifier) isGlobal(sp int) bool {
	return sp > 0 && sp < len(v.subprogs) && v.subprogs[sp].global != nil
}

// prepareGlobal is btf_prepare_func_args: the arguments of global function
// sp from its prototype, or the reason it cannot be verified on its own.
func (v *verifier) prepareGlobal(sp int) *globalFunc {
	g := v.subprogs[sp].global
	if g.prepared {
		return g
	}
	g.prepared = true
	name := v.subprogs[sp].name
	fn, _ := v.prog.FuncFor(v.subprogs[sp].start)
	proto := fn.Proto
	if proto == nil {
		g.err = fmt.Sprintf("Global function %s() has no BTF prototype", name)
		return g
	}
	if isVoid(proto.Return) || !isScalarType(proto.Return) {
		g.err = fmt.Sprintf("Global function %s() doesn't return scalar. Only those are supported.", name)
		return g
	}
	if len(proto.Params) > 5 {
		g.err = fmt.Sprintf("Global function %s() with %d > 5 args. Buggy compiler.", name, len(proto.Params))
		return g
	}
	for i, p := range proto.Params {
		var tags []string
		if i < len(fn.ParamTags) {
			tags = fn.ParamTags[i]
		}
		has := func(tag string) bool { return slices.Contains(tags, "arg:"+tag) }
		for _, t := range tags {
			switch t {
			case "arg:ctx", "arg:nonnull", "arg:nullable", "arg:trusted", "arg:arena":
			default:
				g.err = fmt.Sprintf("arg#%d has unsupported set of tags (%s) in %s()", i, t, name)
				return g
			}
		}
		t := btf.UnderlyingType(p.Type)
		ptr, isPtr := t.(*btf.Pointer)
		switch {
		case !isPtr && isScalarType(p.Type):
			if len(tags) > 0 {
				g.err = fmt.Sprintf("arg#%d has pointer tag, but is not a pointer type in %s()", i, name)
				return g
			}
			g.args = append(g.args, globalArg{kind: gArgScalar})
		case !isPtr:
			g.err = fmt.Sprintf("Arg#%d type %s in %s() is not supported yet.", i, typeString(p.Type), name)
			return g
		case has("arena"):
			// btf_prepare_func_args: ARG_PTR_TO_ARENA, alone
			if len(tags) > 1 {
				g.err = fmt.Sprintf("arg#%d arena cannot be combined with any other tags", i)
				return g
			}
			g.args = append(g.args, globalArg{kind: gArgArena})
		case has("ctx"):
			g.args = append(g.args, globalArg{kind: gArgCtx})
		case len(tags) == 0 && isDynptrStruct(ptr.Target):
			g.args = append(g.args, globalArg{kind: gArgDynptr})
		case has("trusted"):
			s, ok := btf.UnderlyingType(ptr.Target).(*btf.Struct)
			if !ok {
				g.err = fmt.Sprintf("arg#%d has type %s: __arg_trusted needs a pointer to a struct", i, typeString(p.Type))
				return g
			}
			// the kernel's struct of the same essential name (a CO-RE
			// flavour such as task_struct___local is stripped:
			// btf_get_ptr_to_btf_id's bpf_core_find_cands)
			kt := v.kernelStruct(bpfvm.EssentialName(s.Name))
			if kt == nil {
				kt = s
			}
			g.args = append(g.args, globalArg{kind: gArgTrusted, typ: kt, nullable: has("nullable")})
		default:
			size, err := btf.Sizeof(ptr.Target)
			if err != nil || size <= 0 {
				g.err = fmt.Sprintf("arg#%d reference type('%s') size cannot be determined: %d", i, typeString(ptr.Target), size)
				return g
			}
			g.args = append(g.args, globalArg{kind: gArgMem, size: uint32(size), nullable: !has("nonnull")})
		}
	}
	return g
}

// isDynptrStruct is btf_is_dynptr_ptr's test of the target: struct
// bpf_dynptr.
func isDynptrStruct(t btf.Type) bool {
	s, ok := btf.UnderlyingType(t).(*btf.Struct)
	return ok && s.Name == "bpf_dynptr"
}

func isVoid(t btf.Type) bool {
	if t == nil {
		return true
	}
	_, ok := t.(*btf.Void)
	return ok
}

func typeString(t btf.Type) string {
	if t == nil {
		return "void"
	}
	if n := t.TypeName(); n != "" {
		return n
	}
	return fmt.Sprintf("%v", t)
}

// checkGlobalCall is the caller's side of a call to global function sp
// (check_func_call, btf_check_subprog_call): the arguments match the
// prototype, nothing is held; the callee will be verified on its own.
func (v *verifier) checkGlobalCall(st *vstate, pc, sp int) (int, bool, error) {
	name := v.subprogs[sp].name
	if len(st.locks) > 0 {
		return 0, false, v.errorState(st, pc, "global function calls are not allowed while holding a lock,\nuse static function instead")
	}
	if len(st.frames) >= bpfvm.MaxCallFrames {
		return 0, false, v.errorState(st, pc, "the call stack of %d frames is too deep", len(st.frames)+1)
	}
	g := v.prepareGlobal(sp)
	if g.err != "" {
		return 0, false, v.errorState(st, pc, "%s\nCaller passes invalid args into func#%d ('%s')", g.err, sp, name)
	}
	f := st.cur()
	bad := func(format string, args ...any) (int, bool, error) {
		return 0, false, v.errorState(st, pc, format+"\nCaller passes invalid args into func#%d ('%s')", append(args, sp, name)...)
	}
	for i, a := range g.args {
		regno := uint8(i + 1)
		r := &f.regs[regno]
		if r.typ == notInit {
			return 0, false, v.errorState(st, pc, "R%d !read_ok", regno)
		}
		switch a.kind {
		case gArgScalar:
			if r.typ != scalarValue {
				return bad("R%d is not a scalar", regno)
			}
		case gArgArena:
			// btf_check_func_arg_match: any value is safe (the callee
			// sees a number), but only an arena pointer or a number
			// makes sense
			if r.typ != ptrToArena && r.typ != scalarValue {
				return bad("R%d is not a pointer to arena or scalar.", regno)
			}
		case gArgCtx:
			if r.typ != ptrToCtx || r.off != 0 || !r.isConst() {
				return bad("arg#%d expects pointer to ctx", i)
			}
		case gArgDynptr:
			if err := v.dynptrArg(st, pc, regno, r, bpfvm.ArgPtrToDynptr); err != nil {
				return 0, false, err
			}
		case gArgTrusted:
			if a.nullable && r.isNullConst() {
				continue
			}
			if r.typ != ptrToBTFID || r.flags&(flagTrusted|flagRCU|flagAlloc) == 0 || r.flags&flagUntrusted != 0 ||
				r.off != 0 || !r.isConst() || !sameStruct(v.btfT(r.btfIdx), a.typ) {
				return bad("R%d type=%s expected=trusted_ptr_%s", regno, v.typeName(r), typeString(a.typ))
			}
			if r.mayBeNull() && !a.nullable {
				return bad("arg#%d is expected to be non-NULL", i)
			}
		case gArgMem:
			if r.isNullConst() {
				if !a.nullable {
					return bad("arg#%d is expected to be non-NULL", i)
				}
				continue
			}
			if r.mayBeNull() && !a.nullable {
				return bad("arg#%d is expected to be non-NULL", i)
			}
			// check_mem_reg: readable and writable, assuming non-NULL
			saved := *r
			r.flags &^= flagMaybeNull
			err := v.checkMemArg(st, pc, regno, r, uint64(a.size), false, false)
			if err == nil {
				err = v.checkMemArg(st, pc, regno, r, uint64(a.size), true, false)
			}
			*r = saved
			if err != nil {
				return 0, false, err
			}
			v.markMemWritten(st, saved, uint64(a.size))
		}
	}
	v.markGlobalCalled(sp)
	clobberCallerSaved(f)
	f.regs[0] = unknownScalar()
	return pc + 1, false, nil
}

// sameStruct: two struct types of the same name (the program's copy of a
// kernel type and the kernel's).
func sameStruct(a, b btf.Type) bool {
	sa, ok1 := btf.UnderlyingType(a).(*btf.Struct)
	sb, ok2 := btf.UnderlyingType(b).(*btf.Struct)
	return ok1 && ok2 && (sa == sb || sa.Name != "" && sa.Name == sb.Name)
}

// globalEntry is the state a global function starts in: frame 0 of its own
// chain, arguments from its prototype.
func (v *verifier) globalEntry(sp int) *vstate {
	g := v.subprogs[sp].global
	f := &funcState{callsite: -1, subprog: sp, cb: cbGlobal, pool: &v.stacks}
	for i, a := range g.args {
		r := &f.regs[i+1]
		switch a.kind {
		case gArgScalar, gArgArena:
			// an __arg_arena argument is an unknown number, which the
			// callee turns into an arena pointer with addr_space_cast
			// (do_check_common, Linux 6.12: mark_reg_unknown)
			*r = unknownScalar()
		case gArgCtx:
			*r = makePtr(ptrToCtx)
		case gArgDynptr:
			*r = makePtr(constPtrToDynptr)
		case gArgTrusted:
			*r = makePtr(ptrToBTFID)
			r.btfIdx = v.typeID(a.typ)
			r.flags = flagTrusted
		case gArgMem:
			*r = makePtr(ptrToMem)
			r.memSize = a.size
		}
		if (a.kind == gArgMem || a.kind == gArgTrusted || a.kind == gArgCtx) && a.nullable {
			r.flags |= flagMaybeNull
			r.id = v.newID()
		}
	}
	f.regs[10] = makePtr(ptrToStack)
	st := &vstate{frames: []*funcState{f}}
	st.segWritten[0] = ^uint64(0)
	return st
}

// exploreGlobals verifies, after the program, every global function a
// verified path called (do_check_subprogs), including those that other
// global functions call.
func (v *verifier) exploreGlobals() error {
	for i := 0; i < len(v.globalOrder); i++ {
		sp := v.globalOrder[i]
		g := v.subprogs[sp].global
		if g.queued {
			continue
		}
		g.queued = true
		if err := v.verifyGlobal(sp); err != nil {
			return err
		}
	}
	return nil
}

// markGlobalCalled queues global function sp for verification.
func (v *verifier) markGlobalCalled(sp int) {
	if g := v.subprogs[sp].global; g != nil && !g.called {
		g.called = true
		v.globalOrder = append(v.globalOrder, sp)
	}
}

// Cache remembers the global functions already verified for one policy
// object, so that a function that several programs call (each program
// links its own copy) is explored once per object instead of once per
// program. A hit requires the same code, down to every static function it
// reaches, and the same program properties the code can observe
// (sleepable, and the context when a function takes __arg_ctx); the maps,
// registry and kernel BTF must be the same for every Verify sharing the
// cache. Only successful verifications are remembered. A Cache is not safe
// for concurrent use.
type Cache struct {
	globals map[string]*cachedGlobal
	// Hits counts the verifications skipped.
	Hits int
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{globals: make(map[string]*cachedGlobal)} }

// relPC is an instruction of a function reached from a global function:
// the index of the function in the walk order of globalKey, and the offset
// from its first instruction.
type relPC struct{ fn, off int }

type cachedEdge struct {
	held, taken LockClass
	heldAt, at  relPC
}

type cachedGlobal struct {
	depth []int    // stack depth of each reached function
	seen  [][]bool // instructions reached, per function
	edges []cachedEdge
	calls []int // reached functions that are global and were called
}

// globalKey is the canonical form of global function sp and of every
// function it reaches (calls and callback addresses, in walk order), with
// the relative call offsets replaced by walk indices, plus what the code
// can observe of the program. reached lists the functions in walk order.
func (v *verifier) globalKey(sp int) (key string, reached []int) {
	index := map[int]int{sp: 0}
	reached = []int{sp}
	var b []byte
	for i := 0; i < len(reached); i++ {
		s := v.subprogs[reached[i]]
		b = fmt.Appendf(b, "|%d:", s.end-s.start)
		if s.global != nil {
			b = append(b, 'G')
		}
		for pc := s.start; pc < s.end; pc++ {
			in := v.prog.Insns[pc]
			isCall := in.Op == bpfvm.ClassJMP|bpfvm.JmpCALL && in.Src == bpfvm.CallLocal
			isFn := in.IsLdImm64() && in.Src == bpfvm.PseudoFunc && !v.info[pc].second
			if isCall || isFn {
				t := v.subprogIndex(pc + 1 + int(in.Imm))
				j, ok := index[t]
				if !ok {
					j = len(reached)
					index[t] = j
					reached = append(reached, t)
				}
				in.Imm = int32(-1 - j)
			}
			b = fmt.Appendf(b, "%x,%x,%x,%x,%x;", in.Op, in.Dst, in.Src, in.Off, in.Imm)
		}
	}
	b = fmt.Appendf(b, "|sleepable=%v", v.prog.Sleepable)
	for _, r := range reached {
		if g := v.subprogs[r].global; g != nil && slices.ContainsFunc(g.args, func(a globalArg) bool { return a.kind == gArgCtx }) {
			for _, a := range v.env.Args {
				b = fmt.Appendf(b, "|ctx:%s:%v:%v", a.Name, a.Type, a.Nullable)
			}
			break
		}
	}
	return string(b), reached
}

// rel translates pc into a relPC over reached, if it lies in one of them.
func (v *verifier) rel(reached []int, pc int) (relPC, bool) {
	for i, sp := range reached {
		if s := v.subprogs[sp]; pc >= s.start && pc < s.end {
			return relPC{i, pc - s.start}, true
		}
	}
	return relPC{}, false
}

// globalRecorder collects, during the exploration of one global function,
// what a later program sharing the cache must replay.
type globalRecorder struct {
	reached []int
	edges   []cachedEdge
	seen    map[[2]LockClass]bool
}

func (r *globalRecorder) edge(v *verifier, held heldLock, taken LockClass, pc int) {
	key := [2]LockClass{held.class, taken}
	if r.seen[key] {
		return
	}
	h, ok1 := v.rel(r.reached, held.insn)
	t, ok2 := v.rel(r.reached, pc)
	if !ok1 || !ok2 {
		return
	}
	if r.seen == nil {
		r.seen = make(map[[2]LockClass]bool)
	}
	r.seen[key] = true
	r.edges = append(r.edges, cachedEdge{held: held.class, taken: taken, heldAt: h, at: t})
}

// verifyGlobal explores global function sp, or replays a cached
// verification of the same code.
func (v *verifier) verifyGlobal(sp int) error {
	cache := v.env.Cache
	if cache == nil || v.env.Log != nil {
		// a log shows every exploration
		if v.env.Log != nil {
			fmt.Fprintf(v.env.Log, "Validating %s() func#%d...\n", v.subprogs[sp].name, sp)
		}
		return v.exploreGlobal(sp)
	}
	key, reached := v.globalKey(sp)
	if c, ok := cache.globals[key]; ok {
		cache.Hits++
		v.reusedGlobals = append(v.reusedGlobals, v.subprogs[sp].name)
		for i, r := range reached {
			s := &v.subprogs[r]
			s.stackDepth = max(s.stackDepth, c.depth[i])
			for off, seen := range c.seen[i] {
				if seen {
					v.info[s.start+off].seen = true
				}
			}
		}
		for _, e := range c.edges {
			held := heldLock{class: e.held, insn: v.subprogs[reached[e.heldAt.fn]].start + e.heldAt.off}
			v.recordEdge(held, e.taken, v.subprogs[reached[e.at.fn]].start+e.at.off)
		}
		for _, i := range c.calls {
			v.markGlobalCalled(reached[i])
		}
		return nil
	}
	// one global function is explored at a time (exploreGlobals)
	rec := &globalRecorder{reached: reached}
	v.recorder = rec
	err := v.exploreGlobal(sp)
	v.recorder = nil
	if err != nil {
		return err
	}
	c := &cachedGlobal{edges: rec.edges}
	for i, r := range reached {
		s := v.subprogs[r]
		c.depth = append(c.depth, s.stackDepth)
		seen := make([]bool, s.end-s.start)
		for pc := s.start; pc < s.end; pc++ {
			seen[pc-s.start] = v.info[pc].seen
		}
		c.seen = append(c.seen, seen)
		if i > 0 && s.global != nil && s.global.called {
			c.calls = append(c.calls, i)
		}
	}
	cache.globals[key] = c
	return nil
}

// exploreGlobal explores global function sp from its entry state.
func (v *verifier) exploreGlobal(sp int) error {
	v.queue = append(v.queue, pendingPath{v.globalEntry(sp), v.subprogs[sp].start})
	return v.drain()
}
