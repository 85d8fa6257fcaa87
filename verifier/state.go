package verifier

import (
	"fmt"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
)

// regType is the kind of value a register holds (the kernel's
// enum bpf_reg_type, include/linux/bpf.h, reduced to what schedsim has).
type regType uint8

const (
	notInit          regType = iota
	scalarValue              // a number
	ptrToCtx                 // r1 at entry: the u64 array of callback arguments
	constPtrToMap            // LD_IMM64 of a map
	ptrToMapValue            // inside a map value (or a global section)
	ptrToStack               // into a frame's stack
	ptrToBTFID               // a typed object: kernel (task_struct) or bpf_obj_new
	ptrToMem                 // memory of memSize bytes returned by a helper/kfunc
	ptrToFunc                // a subprogram (LD_IMM64 PseudoFunc)
	ptrToArena               // into an arena (addr_space_cast to address space 0)
	ptrToPercpuBTFID         // a per-CPU kernel variable (PTR_TO_BTF_ID | MEM_PERCPU)
	constPtrToDynptr         // a struct bpf_dynptr given to a callback (CONST_PTR_TO_DYNPTR)
)

// regFlag are type modifiers (the kernel's PTR_MAYBE_NULL, PTR_UNTRUSTED,
// PTR_TRUSTED, MEM_RCU, MEM_ALLOC, NON_OWN_REF, MEM_RDONLY).
type regFlag uint8

const (
	flagMaybeNull regFlag = 1 << iota
	flagUntrusted
	flagTrusted
	flagRCU
	flagAlloc
	flagNonOwn
	flagRdonly
	// flagLegacy, always with flagUntrusted, marks the kernel's plain
	// PTR_TO_BTF_ID (no trust modifier): a pointer field read through a
	// trusted or RCU pointer inside an RCU read section (a non-sleepable
	// program is one), which check_ptr_to_btf_access leaves unflagged
	// ("walking unknown pointers yields old deprecated PTR_TO_BTF_ID").
	// Helpers take it (compatible_reg_types' btf_ptr_types lists bare
	// PTR_TO_BTF_ID); kfuncs that want trusted or RCU arguments do not
	// (is_trusted_reg, is_rcu_reg), so everywhere else it is untrusted.
	flagLegacy
)

// regState is the abstract value of a register or a spilled stack slot
// (struct bpf_reg_state).
type regState struct {
	typ   regType
	flags regFlag
	// off is the fixed offset of a pointer; the variable part is in bounds.
	off int32
	bounds
	// id links copies of a maybe-null pointer (so that a null check of one
	// applies to all), and copies of a scalar (so that a bounds check of one
	// applies to all).
	id uint32
	// refID is the reference this pointer holds (ref_obj_id), 0 if none.
	refID uint32
	// guard is the id of the held lock a non-owning reference (a node of
	// a tree or list) is valid under; 0: valid until any lock is released.
	guard uint32
	// mapIdx: map of constPtrToMap / ptrToMapValue.
	mapIdx int32
	// frameNo: frame of ptrToStack.
	frameNo uint8
	// precise: in a checkpoint, the scalar's value matters to some path
	// from it (precise.go).
	precise bool
	// iterator state, for stack slots of kind slotIter.
	iterState uint8
	iterDepth uint32
	// btfIdx: the struct of ptrToBTFID (an index into verifier.types, so
	// that states hold no Go pointers and copy without write barriers).
	btfIdx uint32
	// memSize: size of ptrToMem.
	memSize uint32
	// subprog: first instruction of the function of ptrToFunc.
	subprog int32
}

const (
	iterActive  = 1
	iterDrained = 2
)

func (r *regState) isPtr() bool { return r.typ != notInit && r.typ != scalarValue }

func (r *regState) mayBeNull() bool { return r.flags&flagMaybeNull != 0 }

func (r *regState) isNullConst() bool {
	return r.typ == scalarValue && r.isConst() && r.varOff.value == 0
}

func makeScalar(b bounds) regState { return regState{typ: scalarValue, bounds: b} }
func unknownScalar() regState      { return makeScalar(unknownBounds()) }
func constScalar(v uint64) regState {
	return makeScalar(constBounds(v))
}

// makePtr returns a pointer of type t at fixed offset 0.
func makePtr(t regType) regState {
	return regState{typ: t, bounds: constBounds(0)}
}

// slotType is the kind of one byte of stack (STACK_INVALID, STACK_SPILL...).
type slotType uint8

const (
	slotInvalid slotType = iota
	slotSpill
	slotMisc
	slotZero
	slotIter
)

var slotChars = [...]byte{'?', 'r', 'm', '0', 'i'}

// stackSlot is one 8-byte slot of a frame's stack.
type stackSlot struct {
	types [8]slotType
	spill regState // valid when the slot is a spill (all 8 bytes slotSpill) or an iterator
}

func (s *stackSlot) isSpill() bool {
	return s.types[0] == slotSpill
}

// spillSize is the size of the spilled register: 8, or 1, 2 or 4 for a
// narrow spill of a scalar (the low bytes of the slot), 0 for none.
func (s *stackSlot) spillSize() int {
	n := 0
	for n < 8 && s.types[n] == slotSpill {
		n++
	}
	return n
}

func (s *stackSlot) allType(t slotType) bool {
	for _, x := range s.types {
		if x != t {
			return false
		}
	}
	return true
}

// callbackKind tells how a frame was entered.
type callbackKind uint8

const (
	cbNone   callbackKind = iota
	cbLoop                // bpf_loop callback: on exit, re-run the bpf_loop call
	cbRbLess              // bpf_rbtree_add less(): on exit, the path ends
	cbAsync               // bpf_timer callback: frame 0 of its own call chain
	cbGlobal              // global function verified on its own: frame 0 of its chain
)

// funcState is one call frame (struct bpf_func_state).
type funcState struct {
	regs [11]regState
	// stack[i] covers bytes [-(i+1)*8, -i*8) from the frame pointer.
	stack []stackSlot
	// stackRefs counts the frames sharing stack (copy on write: ownStack
	// before changing it); nil when this frame alone has it.
	stackRefs *int32
	// pool recycles stack copies (nil: allocate)
	pool     *stackPool
	callsite int // pc of the call instruction in the caller, -1 for frame 0
	subprog  int // index into verifier.subprogs
	frameNo  uint8
	cb       callbackKind
	// loopDepth counts the bpf_loop callback rounds this frame's path has
	// entered since its last bpf_loop call that went on past the loop
	// (callback_depth, verifier.c 6.12): a call whose constant count is
	// reached runs its callback no more
	loopDepth uint64
}

// share makes n, a copy of f, share f's stack.
func (f *funcState) share(n *funcState) {
	if cap(f.stack) == 0 {
		return
	}
	if f.stackRefs == nil {
		c := int32(1)
		f.stackRefs = &c
	}
	*f.stackRefs++
	n.stackRefs = f.stackRefs
}

// dropStack gives up f's share of its stack; it returns whether f had
// the stack alone (so that it may be reused).
func (f *funcState) dropStack() bool {
	if f.stackRefs == nil {
		return true
	}
	*f.stackRefs--
	f.stackRefs = nil
	return false
}

// ownStack gives f a stack of its own before a change.
func (f *funcState) ownStack() {
	if f.stackRefs != nil {
		if *f.stackRefs <= 1 {
			// the others gave theirs up
			f.stackRefs = nil
			return
		}
		*f.stackRefs--
		f.stackRefs = nil
		var s []stackSlot
		if f.pool != nil {
			s = f.pool.get(len(f.stack) + 2)
		} else {
			s = make([]stackSlot, 0, len(f.stack)+2)
		}
		f.stack = append(s, f.stack...)
	}
}

// stackPool holds the stacks of ended paths for reuse (empty slices that
// no state refers to).
type stackPool struct{ free [][]stackSlot }

func (p *stackPool) get(n int) []stackSlot {
	if k := len(p.free); k > 0 {
		s := p.free[k-1]
		p.free = p.free[:k-1]
		if cap(s) >= n {
			return s
		}
	}
	return make([]stackSlot, 0, max(n, 16))
}

// growStack makes the stack cover depth bytes.
func (f *funcState) growStack(depth int) {
	n := (depth + 7) / 8
	if len(f.stack) < n {
		f.ownStack()
	}
	for len(f.stack) < n {
		f.stack = append(f.stack, stackSlot{})
	}
}

// refState is an acquired reference (struct bpf_reference_state).
type refState struct {
	id   uint32
	insn int // where it was acquired
}

// lockKind distinguishes bpf_spin_lock from bpf_res_spin_lock.
type lockKind uint8

const (
	lockSpin lockKind = iota
	lockRes
	lockResIRQ
)

func (k lockKind) fn() string {
	if k == lockSpin {
		return "bpf_spin"
	}
	return "bpf_res_spin"
}

// heldLock is a lock held on the current path.
type heldLock struct {
	id    uint32 // unique per acquisition: non-owning references name it
	class LockClass
	ptrID uint32 // id of the pointer the lock was taken through (0: global)
	insn  int
	kind  lockKind
}

// vstate is the whole abstract state of one path (struct bpf_verifier_state).
type vstate struct {
	frames []*funcState
	refs   []refState
	locks  []heldLock
	// rcuLock: inside bpf_rcu_read_lock() (active_rcu_lock).
	rcuLock bool
	// mayGotoDepth counts the may_goto loop iterations entered on this
	// path: two states of different iterations are not a repetition.
	mayGotoDepth uint32
	// cbUnroll counts the entries of bpf_loop and bpf_user_ringbuf_drain
	// callbacks on this path (callback_unroll_depth): two states of
	// different rounds are not a repetition.
	cbUnroll uint32
	// asyncEntry tells apart the verifications of a timer callback queued
	// by different calls: the same state in two of them is no loop.
	asyncEntry uint32
	// segWritten has, per frame, the stack slots fully written since the
	// last checkpoint (REG_LIVE_WRITTEN): a later read of such a slot does
	// not depend on the checkpoint's value.
	segWritten [bpfvm.MaxCallFrames]uint64
	// hist lists the instructions executed since the last checkpoint.
	hist []histEntry
	// parent is the most recent checkpoint on this path.
	parent *checkpoint
	// loopEntry is the head of the outermost loop in progress this path
	// is part of (the kernel's loop_entry); dfsDepth is the number of
	// checkpoints above it (dfs_depth).
	loopEntry *checkpoint
	dfsDepth  int
}

func (s *vstate) cur() *funcState { return s.frames[len(s.frames)-1] }

// forEachReg calls fn for every register and spilled register of every frame.
func (s *vstate) forEachReg(fn func(r *regState)) {
	for _, f := range s.frames {
		for i := range f.regs {
			fn(&f.regs[i])
		}
		for i := range f.stack {
			if f.stack[i].isSpill() {
				// on a copy: a shared stack is copied only if fn changes it
				r := f.stack[i].spill
				fn(&r)
				if r != f.stack[i].spill {
					f.ownStack()
					f.stack[i].spill = r
				}
			}
		}
	}
}

// checkpoint is a stored state at a prune point (struct bpf_verifier_state_list).
type checkpoint struct {
	st     *vstate
	pc     int
	parent *checkpoint
	// pending counts paths whose nearest checkpoint is this one, plus child
	// checkpoints that still have pending paths (the kernel's branches).
	pending int
	hits    int
	miss    int
	hash    uint64
	// read has, per frame, the stack slots whose value at this checkpoint
	// some path from it reads (REG_LIVE_READ); written, the slots fully
	// written between the previous checkpoint and this one. Once the
	// checkpoint is complete, only read slots need to match for pruning.
	read, written [bpfvm.MaxCallFrames]uint64
	// hist is the path from the previous checkpoint to this one.
	hist []histEntry
	// loopEntry, depth: as vstate's loopEntry and dfsDepth, for the
	// stored state (loops.go).
	loopEntry *checkpoint
	depth     int
	// rounds: for a may_goto loop head, how many times the path went
	// round this loop before reaching this checkpoint (widenAtLoopHead).
	rounds uint32
}

// stateHash fingerprints a state for exact comparison, ignoring ids (which
// exact comparison maps) and parents.
func stateHash(s *vstate) uint64 {
	h := uint64(14695981039346656037)
	mix := func(x uint64) {
		h ^= x
		h *= 1099511628211
		h ^= h >> 29
	}
	// a bucket key, not an identity: equal states hash equal, and a few
	// fields tell most different ones apart
	regHash := func(r *regState) {
		if r.typ == notInit {
			mix(0)
			return
		}
		mix(uint64(r.typ) | uint64(r.flags)<<8 | uint64(uint32(r.off))<<16 | uint64(r.iterState)<<48 ^
			r.varOff.value*0x9e3779b97f4a7c15 ^ r.varOff.mask ^ r.umax*0xff51afd7ed558ccd ^ uint64(r.smin) ^
			uint64(uint32(r.mapIdx))<<20 ^ uint64(r.iterDepth)<<40)
	}
	mix(uint64(len(s.frames)) | uint64(len(s.refs))<<16 | uint64(len(s.locks))<<32 | uint64(s.mayGotoDepth)<<48)
	for _, f := range s.frames {
		mix(uint64(int64(f.callsite)) ^ uint64(f.cb)<<56)
		for i := range f.regs {
			regHash(&f.regs[i])
		}
		for i := range f.stack {
			sl := &f.stack[i]
			if sl.allType(slotInvalid) {
				continue
			}
			var t uint64
			for _, b := range sl.types {
				t = t<<8 | uint64(b)
			}
			mix(uint64(i)<<56 ^ t)
			if sl.isSpill() || sl.types[0] == slotIter {
				regHash(&sl.spill)
			}
		}
	}
	for _, l := range s.locks {
		mix(uint64(l.class.Off) | uint64(l.kind)<<32 | uint64(len(l.class.Map))<<40)
	}
	return h
}

// ---- comparison (states_equal) ----

// idMap checks that ids of the old state map consistently to ids of the
// current state (check_ids).
type idMap struct {
	old, cur []uint32
}

func (m *idMap) reset() { m.old, m.cur = m.old[:0], m.cur[:0] }

func (m *idMap) check(o, c uint32) bool {
	if o == 0 && c == 0 {
		return true
	}
	if o == 0 || c == 0 {
		return false
	}
	for i := range m.old {
		if m.old[i] == o {
			return m.cur[i] == c
		}
		if m.cur[i] == c {
			return false
		}
	}
	m.old = append(m.old, o)
	m.cur = append(m.cur, c)
	return true
}

// scalarIDs checks scalar links one way: registers linked in the old state
// must be linked in the current state.
type scalarIDs struct{ old, cur []uint32 }

func (m *scalarIDs) reset() { m.old, m.cur = m.old[:0], m.cur[:0] }

func (m *scalarIDs) check(o, c uint32) bool {
	if o == 0 {
		return true
	}
	if c == 0 {
		// cur is unlinked; fine only if o links nothing else we saw. Record
		// the old id as mapped to "nothing" so a second use fails.
		for i := range m.old {
			if m.old[i] == o {
				return false
			}
		}
		m.old = append(m.old, o)
		m.cur = append(m.cur, 0)
		return true
	}
	for i := range m.old {
		if m.old[i] == o {
			return m.cur[i] == c
		}
	}
	m.old = append(m.old, o)
	m.cur = append(m.cur, c)
	return true
}

type comparer struct {
	ids  idMap
	sids scalarIDs
	// exact requires identical states (infinite loop detection).
	exact bool
	// precise: the old state is a complete checkpoint whose imprecise
	// scalars match any scalar.
	precise bool
}

// regSafe reports whether every concrete value of cur is covered by old
// (regsafe).
func (c *comparer) regSafe(old, cur *regState) bool {
	if c.exact {
		return old.typ == cur.typ && (old.typ == notInit || c.sameReg(old, cur))
	}
	if old.typ == notInit {
		return true
	}
	if old.typ != cur.typ || old.flags != cur.flags {
		return false
	}
	switch old.typ {
	case scalarValue:
		if c.precise && !old.precise {
			return true
		}
		// linked registers must be linked with the same offsets
		return old.bounds.within(&cur.bounds) && c.sids.check(old.id, cur.id) && (old.id == 0 || old.off == cur.off)
	case ptrToFunc:
		return old.subprog == cur.subprog
	case constPtrToMap:
		return old.mapIdx == cur.mapIdx
	case ptrToArena:
		return true
	}
	if old.off != cur.off || !old.bounds.within(&cur.bounds) {
		return false
	}
	if old.mapIdx != cur.mapIdx || old.frameNo != cur.frameNo || old.memSize != cur.memSize ||
		old.btfIdx != cur.btfIdx {
		return false
	}
	return c.ids.check(old.id, cur.id) && c.ids.check(old.refID, cur.refID) && c.ids.check(old.guard, cur.guard)
}

func (c *comparer) sameReg(old, cur *regState) bool {
	if old.typ != cur.typ || old.flags != cur.flags || old.off != cur.off || old.bounds != cur.bounds ||
		old.mapIdx != cur.mapIdx || old.frameNo != cur.frameNo || old.memSize != cur.memSize ||
		old.btfIdx != cur.btfIdx || old.subprog != cur.subprog || old.iterState != cur.iterState {
		return false
	}
	if old.iterState == iterActive && old.iterDepth != cur.iterDepth {
		// iter_active_depths_differ: another iteration, not a repetition
		return false
	}
	if old.typ == scalarValue {
		return c.sids.check(old.id, cur.id)
	}
	return c.ids.check(old.id, cur.id) && c.ids.check(old.refID, cur.refID) && c.ids.check(old.guard, cur.guard)
}

// slotAsReg describes a fully initialised non-spill slot as a scalar.
func slotAsReg(s *stackSlot) (regState, bool) {
	if s.allType(slotZero) {
		return constScalar(0), true
	}
	for _, t := range s.types {
		if t != slotMisc && t != slotZero {
			return regState{}, false
		}
	}
	return unknownScalar(), true
}

func (c *comparer) stackSafe(old, cur *funcState, read uint64, useRead bool) bool {
	for i := range old.stack {
		os := &old.stack[i]
		if useRead && !c.exact && i < 64 && read&(1<<uint(i)) == 0 && os.types[0] != slotIter {
			continue // never read from here on: its value does not matter
		}
		var cs *stackSlot
		if i < len(cur.stack) {
			cs = &cur.stack[i]
		} else {
			cs = &stackSlot{}
		}
		if c.exact {
			if os.types != cs.types {
				return false
			}
			if (os.isSpill() || os.types[0] == slotIter) && !c.sameReg(&os.spill, &cs.spill) {
				return false
			}
			continue
		}
		if os.types[0] == slotIter {
			if cs.types[0] != slotIter || os.spill.iterState != cs.spill.iterState || os.spill.flags != cs.spill.flags ||
				!c.ids.check(os.spill.refID, cs.spill.refID) {
				return false
			}
			continue
		}
		firstByte := 0
		if os.isSpill() && os.spillSize() < 8 && c.precise && !os.spill.precise && os.spill.typ == scalarValue {
			// an imprecise narrow spill is any number: as plain bytes
			var t stackSlot
			t.types = os.types
			for b := 0; b < os.spillSize(); b++ {
				t.types[b] = slotMisc
			}
			os = &t
		}
		if os.isSpill() && os.spillSize() < 8 {
			// a narrow spill: the same spill, then the bytes above it
			if cs.spillSize() != os.spillSize() || !c.regSafe(&os.spill, &cs.spill) {
				return false
			}
			firstByte = os.spillSize()
		} else if os.isSpill() {
			if cs.isSpill() && cs.spillSize() == 8 {
				if !c.regSafe(&os.spill, &cs.spill) {
					return false
				}
				continue
			}
			if os.spill.typ != scalarValue {
				return false
			}
			r, ok := slotAsReg(cs)
			if !ok || !c.regSafe(&os.spill, &r) {
				return false
			}
			continue
		}
		for b := firstByte; b < 8; b++ {
			switch os.types[b] {
			case slotInvalid:
			case slotMisc:
				ct := cs.types[b]
				if ct == slotMisc || ct == slotZero || (ct == slotSpill && cs.spill.typ == scalarValue) {
					continue
				}
				return false
			case slotZero:
				ct := cs.types[b]
				if ct == slotZero || (ct == slotSpill && cs.spill.isNullConst()) {
					continue
				}
				return false
			default:
				return false
			}
		}
	}
	if c.exact && len(cur.stack) > len(old.stack) {
		for i := len(old.stack); i < len(cur.stack); i++ {
			if !cur.stack[i].allType(slotInvalid) {
				return false
			}
		}
	}
	return true
}

// statesEqual is states_equal: old covers cur. live gives the registers
// live at each frame's resume point; read, if not nil, the stack slots
// read from old on (a complete checkpoint's).
func (c *comparer) statesEqual(old, cur *vstate, live []uint16, read *[bpfvm.MaxCallFrames]uint64) bool {
	c.ids.reset()
	c.sids.reset()
	if len(old.frames) != len(cur.frames) || len(old.refs) != len(cur.refs) || len(old.locks) != len(cur.locks) ||
		old.rcuLock != cur.rcuLock {
		return false
	}
	if c.exact && (old.mayGotoDepth != cur.mayGotoDepth || old.asyncEntry != cur.asyncEntry || old.cbUnroll != cur.cbUnroll) {
		return false
	}
	for i := range old.frames {
		if old.frames[i].callsite != cur.frames[i].callsite || old.frames[i].cb != cur.frames[i].cb {
			return false
		}
		// func_states_equal: an old state deeper in a bpf_loop does not
		// cover a shallower one (it may have fewer rounds left)
		if old.frames[i].loopDepth > cur.frames[i].loopDepth {
			return false
		}
	}
	// the innermost frame first: that is where the states of a loop or a
	// branchy callee differ, and the comparison stops at the first
	// difference (the result does not depend on the order)
	for i := len(old.frames) - 1; i >= 0; i-- {
		of, cf := old.frames[i], cur.frames[i]
		for r := 0; r < 10; r++ {
			if live != nil && live[i]&(1<<r) == 0 {
				continue
			}
			if !c.regSafe(&of.regs[r], &cf.regs[r]) {
				return false
			}
		}
		var rd uint64
		if read != nil && i < len(read) {
			rd = read[i]
		}
		if !c.stackSafe(of, cf, rd, read != nil) {
			return false
		}
	}
	for i := range old.refs {
		if !c.ids.check(old.refs[i].id, cur.refs[i].id) {
			return false
		}
	}
	for i := range old.locks {
		ol, cl := &old.locks[i], &cur.locks[i]
		if ol.class != cl.class || ol.kind != cl.kind || !c.ids.check(ol.id, cl.id) {
			return false
		}
		if (ol.ptrID == 0) != (cl.ptrID == 0) || (ol.ptrID != 0 && !c.ids.check(ol.ptrID, cl.ptrID)) {
			return false
		}
	}
	return true
}

// ---- printing (print_verifier_state) ----

// typeName is the kernel's reg_type_str (kernel/bpf/log.c, 6.12), the
// wording of rejection messages: prefixes rdonly_, rcu_, untrusted_,
// trusted_; "ptr_" for BTF objects; "_or_null" ("or_null_" after ptr_).
func (v *verifier) typeName(r *regState) string {
	var b strings.Builder
	if r.flags&flagRdonly != 0 {
		b.WriteString("rdonly_")
	}
	if r.flags&flagRCU != 0 {
		b.WriteString("rcu_")
	}
	if r.flags&flagUntrusted != 0 && r.flags&flagLegacy == 0 {
		b.WriteString("untrusted_")
	}
	if r.flags&flagTrusted != 0 {
		b.WriteString("trusted_")
	}
	switch r.typ {
	case notInit:
		return "?"
	case scalarValue:
		b.WriteString("scalar")
	case ptrToCtx:
		b.WriteString("ctx")
	case constPtrToMap:
		b.WriteString("map_ptr")
	case ptrToMapValue:
		b.WriteString("map_value")
	case ptrToStack:
		b.WriteString("fp")
	case ptrToBTFID:
		b.WriteString("ptr_")
		if r.flags&flagMaybeNull != 0 {
			b.WriteString("or_null_")
		}
		return b.String()
	case ptrToMem:
		b.WriteString("mem")
	case ptrToFunc:
		b.WriteString("func")
	case ptrToArena:
		b.WriteString("arena")
	case ptrToPercpuBTFID:
		return "percpu_ptr_"
	case constPtrToDynptr:
		b.WriteString("dynptr_ptr")
	}
	if r.flags&flagMaybeNull != 0 {
		b.WriteString("_or_null")
	}
	return b.String()
}

// logTypeName is a register's type in logs (print_verifier_state): the
// reg_type_str, our alloc_/non_own_ marks, and a BTF object's type name.
func (v *verifier) logTypeName(r *regState) string {
	var b strings.Builder
	if r.flags&flagAlloc != 0 {
		b.WriteString("alloc_")
	}
	if r.flags&flagNonOwn != 0 {
		b.WriteString("non_own_")
	}
	b.WriteString(v.typeName(r))
	if r.typ == ptrToBTFID {
		if t := v.btfT(r.btfIdx); t != nil {
			b.WriteString(t.TypeName())
		}
	}
	return b.String()
}

func boundsString(b *bounds) string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	u := unknownBounds()
	if b.smin != u.smin && int64(b.umin) != b.smin {
		add("smin=%d", b.smin)
	}
	if b.smax != u.smax && int64(b.umax) != b.smax {
		add("smax=%d", b.smax)
	}
	if b.umin != 0 {
		add("umin=%d", b.umin)
	}
	if b.umax != u.umax {
		add("umax=%d", b.umax)
	}
	if b.s32min != u.s32min && int64(b.s32min) != b.smin {
		add("smin32=%d", b.s32min)
	}
	if b.s32max != u.s32max && int64(b.s32max) != b.smax {
		add("smax32=%d", b.s32max)
	}
	if b.u32min != 0 && uint64(b.u32min) != b.umin {
		add("umin32=%d", b.u32min)
	}
	if b.u32max != u.u32max && uint64(b.u32max) != b.umax {
		add("umax32=%d", b.u32max)
	}
	if !b.varOff.isUnknown() && !b.isConst() {
		add("var_off=%s", b.varOff)
	}
	return strings.Join(parts, ",")
}

func (v *verifier) regString(r *regState) string {
	switch r.typ {
	case scalarValue:
		p := ""
		if r.precise {
			p = "P" // the kernel's mark of a precise scalar
		}
		if r.isConst() {
			return fmt.Sprintf("%s%d", p, int64(r.varOff.value))
		}
		s := boundsString(&r.bounds)
		if r.id != 0 {
			if s != "" {
				s = "id=" + fmt.Sprint(r.id) + "," + s
			} else {
				s = "id=" + fmt.Sprint(r.id)
			}
		}
		return p + "scalar(" + s + ")"
	case ptrToStack:
		if r.isConst() {
			return fmt.Sprintf("fp%d", int64(r.off)+int64(r.varOff.value))
		}
	}
	var parts []string
	if r.typ == constPtrToMap || r.typ == ptrToMapValue {
		if ms := v.mapSpec(int(r.mapIdx)); ms != nil {
			parts = append(parts, fmt.Sprintf("map=%s,ks=%d,vs=%d", ms.Name, ms.KeySize, ms.ValueSize))
		}
	}
	if r.id != 0 {
		parts = append(parts, fmt.Sprintf("id=%d", r.id))
	}
	if r.refID != 0 {
		parts = append(parts, fmt.Sprintf("ref_obj_id=%d", r.refID))
	}
	if r.off != 0 {
		parts = append(parts, fmt.Sprintf("off=%d", r.off))
	}
	if r.typ == ptrToMem {
		parts = append(parts, fmt.Sprintf("sz=%d", r.memSize))
	}
	if r.typ == ptrToFunc {
		parts = append(parts, fmt.Sprintf("insn=%d", r.subprog))
	}
	if r.isPtr() && !r.isConst() {
		parts = append(parts, boundsString(&r.bounds))
	}
	return v.logTypeName(r) + "(" + strings.Join(parts, ",") + ")"
}

// stateString prints the registers and initialised stack of the innermost
// frame, kernel style: "R1=ctx() R10=fp0 fp-8=mmmmmmmm refs=2".
func (v *verifier) stateString(s *vstate) string {
	var b strings.Builder
	f := s.cur()
	if len(s.frames) > 1 {
		fmt.Fprintf(&b, "frame%d: ", len(s.frames)-1)
	}
	first := true
	sep := func() {
		if !first {
			b.WriteByte(' ')
		}
		first = false
	}
	for i := 0; i <= 10; i++ {
		r := &f.regs[i]
		if i == 10 {
			sep()
			b.WriteString("R10=fp0")
			continue
		}
		if r.typ == notInit {
			continue
		}
		sep()
		fmt.Fprintf(&b, "R%d=%s", i, v.regString(r))
	}
	for i := range f.stack {
		sl := &f.stack[i]
		if sl.allType(slotInvalid) {
			continue
		}
		sep()
		off := -(i + 1) * 8
		switch {
		case sl.isSpill():
			fmt.Fprintf(&b, "fp%d=%s", off, v.regString(&sl.spill))
		case sl.types[0] == slotIter:
			st := "active"
			if sl.spill.iterState == iterDrained {
				st = "drained"
			}
			fmt.Fprintf(&b, "fp%d=iter_num(ref_id=%d,state=%s,depth=%d)", off, sl.spill.refID, st, sl.spill.iterDepth)
		default:
			var c [8]byte
			for k := 0; k < 8; k++ {
				c[k] = slotChars[sl.types[7-k]]
			}
			fmt.Fprintf(&b, "fp%d=%s", off, c[:])
		}
	}
	if len(s.refs) > 0 {
		sep()
		b.WriteString("refs=")
		for i, r := range s.refs {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, r.id)
		}
	}
	if len(s.locks) > 0 {
		sep()
		b.WriteString("locks=")
		for i, l := range s.locks {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l.class.String())
		}
	}
	return b.String()
}
