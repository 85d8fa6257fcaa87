package verifier

import (
	"strings"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// Kfuncs whose semantics the verifier knows by name: allocated objects,
// rbtree and list operations, resilient spin locks, numeric iterators.

func (v *verifier) specialKfunc(st *vstate, pc int, k *bpfvm.Kfunc) (bool, int, bool, error) {
	if typ, op, ok := iterKind(k); ok {
		switch op {
		case "new":
			return true, pc + 1, false, v.kfIterNew(st, pc, k, typ)
		case "next":
			return true, pc + 1, false, v.kfIterNext(st, pc, k, typ)
		default:
			return true, pc + 1, false, v.kfIterDestroy(st, pc, k, typ)
		}
	}
	switch k.Name {
	case "bpf_rcu_read_lock", "bpf_rcu_read_unlock":
		return true, pc + 1, false, v.kfRCU(st, pc, k.Name == "bpf_rcu_read_lock")
	case "bpf_obj_new_impl":
		return true, pc + 1, false, v.kfObjNew(st, pc)
	case "bpf_obj_drop_impl":
		return true, pc + 1, false, v.kfObjDrop(st, pc)
	case "bpf_res_spin_lock", "bpf_res_spin_lock_irqsave":
		kind := lockRes
		if k.Name == "bpf_res_spin_lock_irqsave" {
			kind = lockResIRQ
		}
		return true, pc + 1, false, v.kfResLock(st, pc, kind)
	case "bpf_res_spin_unlock", "bpf_res_spin_unlock_irqrestore":
		kind := lockRes
		if k.Name == "bpf_res_spin_unlock_irqrestore" {
			kind = lockResIRQ
		}
		err := v.processSpinLock(st, pc, 1, false, kind)
		if err == nil {
			clobberCallerSaved(st.cur())
		}
		return true, pc + 1, false, err
	case "bpf_rbtree_add_impl", "bpf_list_push_front_impl", "bpf_list_push_back_impl":
		if inRbLess(st) {
			return true, 0, false, v.errorState(st, pc, "%s not allowed in rbtree cb", k.Name)
		}
		next, done, err := v.kfCollectionAdd(st, pc, k.Name)
		return true, next, done, err
	case "bpf_rbtree_first", "bpf_rbtree_remove", "bpf_rbtree_root", "bpf_rbtree_left", "bpf_rbtree_right",
		"bpf_list_pop_front", "bpf_list_pop_back", "bpf_list_front", "bpf_list_back":
		if inRbLess(st) {
			return true, 0, false, v.errorState(st, pc, "%s not allowed in rbtree cb", k.Name)
		}
		return true, pc + 1, false, v.kfCollectionGet(st, pc, k.Name)
	case "bpf_refcount_acquire_impl":
		return true, pc + 1, false, v.kfRefcountAcquire(st, pc)
	}
	return false, 0, false, nil
}

func (v *verifier) argReg(st *vstate, pc int, regno uint8) (*regState, error) {
	r := &st.cur().regs[regno]
	if r.typ == notInit {
		return nil, v.errorState(st, pc, "R%d !read_ok", regno)
	}
	return r, nil
}

// ---- bpf_obj_new / bpf_obj_drop ----

func (v *verifier) kfObjNew(st *vstate, pc int) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	if r1.typ != scalarValue || !r1.isConst() {
		return v.errorState(st, pc, "R1 must be a known constant")
	}
	v.markPrecise(st, 1)
	if v.prog.BTF == nil {
		return v.errorState(st, pc, "bpf_obj_new requires prog BTF")
	}
	t, err := v.prog.BTF.TypeByID(btf.TypeID(r1.varOff.value))
	if err != nil {
		return v.errorState(st, pc, "bpf_obj_new type ID argument must be of a struct")
	}
	s, ok := btf.UnderlyingType(t).(*btf.Struct)
	if !ok {
		return v.errorState(st, pc, "bpf_obj_new type ID argument must be of a struct")
	}
	f := st.cur()
	clobberCallerSaved(f)
	r0 := &f.regs[0]
	*r0 = makePtr(ptrToBTFID)
	r0.btfIdx = v.typeID(s)
	r0.flags = flagAlloc | flagMaybeNull
	r0.refID = v.acquireRef(st, pc)
	r0.id = r0.refID
	return nil
}

func (v *verifier) kfObjDrop(st *vstate, pc int) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	if r1.typ != ptrToBTFID || r1.flags&flagAlloc == 0 || r1.mayBeNull() {
		return v.expectType(st, pc, 1, r1, "alloc_ptr_")
	}
	if r1.refID == 0 || r1.flags&flagNonOwn != 0 {
		return v.errorState(st, pc, "arg#0 expected for bpf_obj_drop_impl() to be an owning reference (R1 is not referenced)")
	}
	if r1.off != 0 {
		return v.errorState(st, pc, "R1 must have zero offset when passed to release func")
	}
	if err := v.releaseRef(st, pc, r1.refID); err != nil {
		return err
	}
	clobberCallerSaved(st.cur())
	return nil
}

// ---- resilient spin locks ----

// kfResLock: on success (r0 == 0) the lock is held; on failure (r0 in
// [-4095, -1]: -EDEADLK, -ETIMEDOUT) it is not.
func (v *verifier) kfResLock(st *vstate, pc int, kind lockKind) error {
	if kind == lockResIRQ {
		r2, err := v.argReg(st, pc, 2)
		if err != nil {
			return err
		}
		if r2.typ != ptrToStack {
			return v.expectType(st, pc, 2, r2, "fp")
		}
		if err := v.stackRangeAccess(st, pc, 2, *r2, 8, true); err != nil {
			return err
		}
		v.markMemWritten(st, *r2, 8)
	}
	if inRbLess(st) {
		return v.errorState(st, pc, "%s_lock not allowed in rbtree cb", kind.fn())
	}
	cls, id, err := v.lockTarget(st, pc, 1, kind)
	if err != nil {
		return err
	}
	for _, l := range st.locks {
		if l.class == cls && l.ptrID == id {
			return v.errorState(st, pc, "Acquiring the same lock again, AA deadlock detected (%s taken at insn %d)", cls, l.insn)
		}
	}
	fail := v.push(st, pc+1)
	ff := fail.cur()
	clobberCallerSaved(ff)
	b := unknownBounds()
	b.smin, b.smax = -4095, -1
	b.sync()
	ff.regs[0] = makeScalar(b)
	if err := v.acquireLock(st, pc, cls, id, kind); err != nil {
		return err
	}
	f := st.cur()
	clobberCallerSaved(f)
	f.regs[0] = constScalar(0)
	return nil
}

// ---- iterators (bpf_iter_<type>_new/next/destroy) ----

// iterKind: a kfunc of an open-coded iterator (KF_ITER_NEW/NEXT/DESTROY in
// the kernel): its type ("num", "scx_dsq", ...) and operation.
func iterKind(k *bpfvm.Kfunc) (typ, op string, ok bool) {
	if k.Flags&bpfvm.KfIter == 0 && !strings.HasPrefix(k.Name, "bpf_iter_num_") {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(k.Name, "bpf_iter_")
	if !ok {
		return "", "", false
	}
	for _, o := range []string{"new", "next", "destroy"} {
		if t, ok := strings.CutSuffix(rest, "_"+o); ok && t != "" {
			return t, o, true
		}
	}
	return "", "", false
}

// iterSlots is the number of 8-byte stack slots of struct bpf_iter_<typ>
// (its size in the kernel BTF; bpf_iter_num is one).
func (v *verifier) iterSlots(typ string) int {
	if t := v.kernelStruct("bpf_iter_" + typ); t != nil {
		if s, ok := t.(*btf.Struct); ok && s.Size >= 8 && s.Size%8 == 0 && s.Size <= 64 {
			return int(s.Size / 8)
		}
	}
	return 1
}

// iterSlot returns the first stack slot of the iterator r points to and
// whether all n slots of it hold the same live iterator; own makes the
// frame's stack its own first, for a change through the pointer.
func (v *verifier) iterSlot(st *vstate, r *regState, own bool) (*stackSlot, bool) {
	return v.iterSlotN(st, r, 1, own)
}

func (v *verifier) iterSlotN(st *vstate, r *regState, n int, own bool) (*stackSlot, bool) {
	if r.typ != ptrToStack || !r.isConst() {
		return nil, false
	}
	o := int64(r.off) + int64(r.varOff.value)
	if o%8 != 0 || o < -bpfvm.StackSize || o+int64(n)*8 > 0 {
		return nil, false
	}
	f := v.frameOf(st, r)
	i := int((-o - 1) / 8)
	if i >= len(f.stack) {
		return nil, false
	}
	if own {
		f.ownStack()
	}
	sl := &f.stack[i]
	if sl.types[0] != slotIter {
		return sl, false
	}
	for j := 1; j < n; j++ {
		o := &f.stack[i-j]
		if o.types[0] != slotIter || o.spill.refID != sl.spill.refID {
			return sl, false
		}
	}
	return sl, true
}

// setIter applies fn to the n slots of the iterator at sl's frame index.
func (v *verifier) setIter(st *vstate, r *regState, n int, fn func(*stackSlot)) {
	f := v.frameOf(st, r)
	f.ownStack()
	o := int64(r.off) + int64(r.varOff.value)
	i := int((-o - 1) / 8)
	for j := 0; j < n; j++ {
		fn(&f.stack[i-j])
	}
}

func (v *verifier) kfIterNew(st *vstate, pc int, k *bpfvm.Kfunc, typ string) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	nargs := 3
	if fp := v.kfuncProto(k); fp != nil {
		nargs = len(fp.Params)
	}
	for r := uint8(2); int(r) <= nargs && r <= 5; r++ {
		x, err := v.argReg(st, pc, r)
		if err != nil {
			return err
		}
		if err := v.iterNewArg(st, pc, k, r, x); err != nil {
			return err
		}
	}
	n := v.iterSlots(typ)
	if r1.typ != ptrToStack || !r1.isConst() {
		return v.errorState(st, pc, "arg#0 expected pointer to an iterator on stack")
	}
	o := int64(r1.off) + int64(r1.varOff.value)
	if o%8 != 0 || o < -bpfvm.StackSize || o+int64(n)*8 > 0 {
		return v.errorState(st, pc, "arg#0 expected pointer to an iterator on stack")
	}
	f := v.frameOf(st, r1)
	f.ownStack()
	v.noteStackDepth(st, pc, r1, int(-o))
	f.growStack(int(-o))
	for j := 0; j < n; j++ {
		if f.stack[int((-o-1)/8)-j].types[0] == slotIter {
			return v.errorState(st, pc, "expected uninitialized iter_%s as arg #0", typ)
		}
		v.stackWritten(st, r1, o+int64(8*j))
	}
	ref := v.acquireRef(st, pc)
	// mark_stack_slots_iter: a KF_RCU_PROTECTED iterator is MEM_RCU made
	// in an RCU read section, PTR_UNTRUSTED (unusable) outside one
	var fl regFlag
	if k.Flags&bpfvm.KfRCUProtected != 0 {
		fl = flagUntrusted
		if v.inRCUCS(st) {
			fl = flagRCU
		}
	}
	v.setIter(st, r1, n, func(sl *stackSlot) {
		for b := range sl.types {
			sl.types[b] = slotIter
		}
		sl.spill = regState{typ: scalarValue, refID: ref, iterState: iterActive, flags: fl}
	})
	clobberCallerSaved(st.cur())
	st.cur().regs[0] = unknownScalar()
	return nil
}

// inRCUCS is in_rcu_cs: inside bpf_rcu_read_lock(), holding a lock, or
// anywhere in a non-sleepable program.
func (v *verifier) inRCUCS(st *vstate) bool {
	return st.rcuLock || len(st.locks) > 0 || !v.sleepable()
}

// iterNewArg checks an argument of an iterator's new() after the first: a
// scalar, or, where the prototype has a struct pointer (bpf_iter_css_new's
// start), a pointer to that kernel struct, trusted for KF_TRUSTED_ARGS.
func (v *verifier) iterNewArg(st *vstate, pc int, k *bpfvm.Kfunc, regno uint8, x *regState) error {
	var s *btf.Struct
	if fp := v.kfuncProto(k); fp != nil && int(regno) <= len(fp.Params) {
		s = structOfPtr(fp.Params[regno-1].Type)
	}
	i := int(regno) - 1
	switch {
	case s == nil:
		if x.typ != scalarValue {
			return v.errorState(st, pc, "R%d is not a scalar", regno)
		}
		return nil
	case x.isNullConst():
		return v.errorState(st, pc, "Possibly NULL pointer passed to trusted arg%d", i)
	case x.typ != ptrToBTFID:
		return v.errorState(st, pc, "arg#%d expected pointer to btf or socket", i)
	}
	if err := v.kfuncBTFArgTrust(st, pc, k, i, regno, x, false); err != nil {
		return err
	}
	if t := v.btfT(x.btfIdx); t == nil || !structIDsMatch(t, s.Name, false) || x.off != 0 || !x.isConst() || x.varOff.value != 0 {
		return v.errorState(st, pc, "kernel function %s args#%d expected pointer to STRUCT %s but R%d has a pointer to %s", k.Name, i, s.Name, regno, v.typeName(x))
	}
	return nil
}

func (v *verifier) kfIterNext(st *vstate, pc int, k *bpfvm.Kfunc, typ string) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	n := v.iterSlots(typ)
	sl, ok := v.iterSlotN(st, r1, n, false)
	if !ok {
		return v.errorState(st, pc, "expected an initialized iter_%s as arg #0", typ)
	}
	if sl.spill.flags&flagUntrusted != 0 {
		return v.errorState(st, pc, "expected an RCU CS when using %s", k.Name)
	}
	lo := int64(r1.off) + int64(r1.varOff.value)
	v.stackRead(st, r1, lo, lo+int64(n)*8)
	rcuElem := sl.spill.flags&flagRCU != 0
	if sl.spill.iterState == iterActive {
		// queued: the loop goes on, r0 points to the current element
		next := v.push(st, pc+1)
		nr1 := next.cur().regs[1]
		v.setIter(next, &nr1, n, func(s *stackSlot) { s.spill.iterDepth++ })
		nsl, _ := v.iterSlotN(next, &nr1, n, false)
		v.widenAtLoopHead(next, pc, nsl.spill.iterDepth)
		nf := next.cur()
		clobberCallerSaved(nf)
		nf.regs[0] = v.iterElem(k, typ)
		if rcuElem && nf.regs[0].typ == ptrToBTFID {
			// an RCU-protected iterator's element is MEM_RCU
			nf.regs[0].flags = flagRCU
		}
	}
	// current: the iterator is drained and returned NULL
	v.setIter(st, r1, n, func(s *stackSlot) { s.spill.iterState = iterDrained })
	f := st.cur()
	clobberCallerSaved(f)
	f.regs[0] = constScalar(0)
	return nil
}

// iterElem is what next() returns while the iterator is active: a
// read-only int for bpf_iter_num, a trusted pointer to the struct next()
// returns otherwise (the kernel's PTR_TRUSTED for iterator elements).
func (v *verifier) iterElem(k *bpfvm.Kfunc, typ string) regState {
	if typ != "num" {
		if fp := v.kfuncProto(k); fp != nil {
			if s := structOfPtr(fp.Return); s != nil {
				r := makePtr(ptrToBTFID)
				r.btfIdx = v.typeID(s)
				r.flags = flagTrusted
				return r
			}
		}
		return unknownScalar()
	}
	r := makePtr(ptrToMem)
	r.memSize = 4
	r.flags = flagRdonly
	return r
}

func (v *verifier) kfIterDestroy(st *vstate, pc int, k *bpfvm.Kfunc, typ string) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	n := v.iterSlots(typ)
	sl, ok := v.iterSlotN(st, r1, n, true)
	if !ok {
		return v.errorState(st, pc, "expected an initialized iter_%s as arg #0", typ)
	}
	if sl.spill.flags&flagUntrusted != 0 {
		return v.errorState(st, pc, "expected an RCU CS when using %s", k.Name)
	}
	lo := int64(r1.off) + int64(r1.varOff.value)
	v.stackRead(st, r1, lo, lo+int64(n)*8)
	ref := sl.spill.refID
	v.setIter(st, r1, n, func(s *stackSlot) {
		for b := range s.types {
			s.types[b] = slotInvalid
		}
		s.spill = regState{}
	})
	v.dropRef(st, ref)
	clobberCallerSaved(st.cur())
	return nil
}

// ---- rbtree and list ----

// mapClassName names a map in lock classes: its name, or its section.
func mapClassName(ms *bpfvm.MapSpec) string {
	if ms.Name == "" {
		return ms.Section
	}
	return ms.Name
}

func isLockKind(kind string) bool { return kind == "bpf_spin_lock" || kind == "bpf_res_spin_lock" }

// guardLock finds the lock that protects a tree root or list head (the
// kernel's association of a graph root with the bpf_spin_lock of its
// allocation): the one lock in the same struct (or data section) as the
// root, else the one lock of the whole value. The kernel allows a single
// lock per value; a value with several must put each root beside its own.
func (v *verifier) guardLock(st *vstate, pc int, fields []specialField, root specialField) (specialField, error) {
	var beside, all []specialField
	for _, f := range fields {
		if !isLockKind(f.kind) {
			continue
		}
		all = append(all, f)
		if f.scope == root.scope && f.scopeOff == root.scopeOff {
			beside = append(beside, f)
		}
	}
	switch {
	case len(beside) == 1:
		return beside[0], nil
	case len(beside) == 0 && len(all) == 1:
		return all[0], nil
	case len(all) == 0:
		return specialField{}, v.errorState(st, pc, "%s at off=%d has no bpf_spin_lock in the same allocation to protect it", root.kind, root.off)
	}
	return specialField{}, v.errorState(st, pc, "%s at off=%d: cannot tell which of %d locks protects it; put it in a struct with exactly one bpf_spin_lock", root.kind, root.off, len(all))
}

// collectionRoot checks a bpf_rb_root / bpf_list_head argument and that the
// lock guarding it is held (check_reg_allocation_locked). It returns the
// root's special field and the held lock.
func (v *verifier) collectionRoot(st *vstate, pc int, regno uint8, kind string) (specialField, heldLock, error) {
	r, err := v.argReg(st, pc, regno)
	if err != nil {
		return specialField{}, heldLock{}, err
	}
	if r.typ != ptrToMapValue || r.mayBeNull() {
		return specialField{}, heldLock{}, v.errorState(st, pc, "arg#%d expected pointer to map value (R%d type=%s)", regno-1, regno, v.typeName(r))
	}
	if !r.isConst() {
		return specialField{}, heldLock{}, v.errorState(st, pc, "R%d doesn't have constant offset. %s has to be at the constant offset", regno, kind)
	}
	ms := v.mapSpec(int(r.mapIdx))
	if ms == nil {
		return specialField{}, heldLock{}, v.errorState(st, pc, "R%d invalid map", regno)
	}
	off := int64(r.off) + int64(r.varOff.value)
	var root *specialField
	fields := v.specialFields(ms.Value)
	for i := range fields {
		if fields[i].kind == kind && int64(fields[i].off) == off {
			root = &fields[i]
		}
	}
	if root == nil {
		return specialField{}, heldLock{}, v.errorState(st, pc, "R%d doesn't point to a %s field (off %d)", regno, kind, off)
	}
	guard, err := v.guardLock(st, pc, fields, *root)
	if err != nil {
		return specialField{}, heldLock{}, err
	}
	id := r.id
	if ms.Section != "" {
		id = 0
	}
	cls := LockClass{Map: mapClassName(ms), Off: guard.off}
	for _, l := range st.locks {
		if l.class == cls && l.ptrID == id {
			return *root, l, nil
		}
	}
	return specialField{}, heldLock{}, v.errorState(st, pc, "%s at off=%d must be held for %s", guard.kind, guard.off, kind)
}

// containsNode parses a "contains:type:field" tag.
func (v *verifier) containsNode(root specialField) (string, string) {
	parts := strings.SplitN(root.contains, ":", 3)
	if len(parts) != 3 {
		return "", ""
	}
	return parts[1], parts[2]
}

// nodeArg checks a bpf_rb_node / bpf_list_node argument: a pointer to the
// node field of an allocated object of the type the root contains, at the
// node's offset (__process_kf_arg_ptr_to_graph_node).
func (v *verifier) nodeArg(st *vstate, pc int, regno uint8, root specialField, kind, nodeKind string) (*regState, *btf.Struct, error) {
	n, err := v.argReg(st, pc, regno)
	if err != nil {
		return nil, nil, err
	}
	if n.isNullConst() || n.mayBeNull() {
		return nil, nil, v.errorState(st, pc, "Possibly NULL pointer passed to trusted arg%d", regno-1)
	}
	if n.typ != ptrToBTFID || n.flags&flagAlloc == 0 {
		return nil, nil, v.errorState(st, pc, "arg#%d expected pointer to allocated object (R%d type=%s)", regno-1, regno, v.typeName(n))
	}
	if !n.isConst() {
		return nil, nil, v.errorState(st, pc, "arg#%d %s has variable offset", regno-1, nodeKind)
	}
	s, _ := btf.UnderlyingType(v.btfT(n.btfIdx)).(*btf.Struct)
	off := int64(n.off) + int64(n.varOff.value)
	okNode := false
	for _, f := range v.specialFields(s) {
		if f.kind == nodeKind && int64(f.off) == off {
			okNode = true
		}
	}
	if !okNode {
		return nil, nil, v.errorState(st, pc, "arg#%d offset=%d, but expected %s at this offset", regno-1, off, nodeKind)
	}
	if tn, fn := v.containsNode(root); tn != "" && s != nil {
		ct := s
		if s.Name != tn && v.prog.BTF != nil {
			var c *btf.Struct
			if err := v.prog.BTF.TypeByName(tn, &c); err == nil {
				ct = c
			}
		}
		want := int64(-1)
		for _, m := range ct.Members {
			if m.Name == fn {
				want = int64(m.Offset.Bytes())
			}
		}
		if s.Name != tn || want != off {
			return nil, nil, v.errorState(st, pc, "operation on %s expects arg#%d %s at offset=%d in struct %s, but arg is at offset=%d in struct %s",
				kind, regno-1, nodeKind, want, tn, off, s.Name)
		}
	}
	return n, s, nil
}

var graphKfuncs = map[string]bool{
	"bpf_rbtree_add_impl": true, "bpf_list_push_front_impl": true, "bpf_list_push_back_impl": true,
	"bpf_rbtree_first": true, "bpf_rbtree_remove": true, "bpf_rbtree_root": true, "bpf_rbtree_left": true,
	"bpf_rbtree_right": true, "bpf_list_pop_front": true, "bpf_list_pop_back": true, "bpf_list_front": true,
	"bpf_list_back": true,
}

func graphKinds(name string) (root, node string) {
	if strings.HasPrefix(name, "bpf_rbtree") {
		return "bpf_rb_root", "bpf_rb_node"
	}
	return "bpf_list_head", "bpf_list_node"
}

// kfCollectionAdd: bpf_rbtree_add_impl / bpf_list_push_{front,back}_impl.
// The node must be an owning reference; ownership moves to the collection
// and every copy of the pointer becomes a non-owning reference, valid
// until the guarding lock is released (ref_convert_owning_non_owning).
func (v *verifier) kfCollectionAdd(st *vstate, pc int, name string) (int, bool, error) {
	kind, nodeKind := graphKinds(name)
	root, lock, err := v.collectionRoot(st, pc, 1, kind)
	if err != nil {
		return 0, false, err
	}
	n, _, err := v.nodeArg(st, pc, 2, root, kind, nodeKind)
	if err != nil {
		return 0, false, err
	}
	if n.refID == 0 || n.flags&(flagNonOwn|flagRCU|flagUntrusted) != 0 {
		return 0, false, v.errorState(st, pc, "allocated object must be referenced")
	}
	var cb int32 = -1
	if kind == "bpf_rb_root" {
		less, err := v.argReg(st, pc, 3)
		if err != nil {
			return 0, false, err
		}
		if less.typ != ptrToFunc {
			return 0, false, v.errorState(st, pc, "arg2 expected pointer to func")
		}
		cb = less.subprog
	}
	ref := n.refID
	v.dropRef(st, ref)
	st.forEachReg(func(r *regState) {
		if r.refID == ref {
			r.refID = 0
			r.flags |= flagNonOwn
			r.guard = lock.id
		}
	})
	nodeReg := *n
	if cb >= 0 {
		// verify less(a, b) as a callback on a side path
		side := v.push(st, pc)
		v.queue = v.queue[:len(v.queue)-1]
		if err := v.enterFrame(side, pc, int(cb), cbRbLess); err != nil {
			return 0, false, err
		}
		cf := side.cur()
		for _, r := range []int{1, 2} {
			a := nodeReg
			a.refID = 0
			a.id = 0
			a.flags = flagAlloc | flagNonOwn
			a.guard = lock.id
			cf.regs[r] = a
		}
		v.queue = append(v.queue, pendingPath{side, int(cb)})
	}
	f := st.cur()
	clobberCallerSaved(f)
	// 0, or -EINVAL when a refcounted node already is in a collection
	f.regs[0] = unknownScalar()
	return pc + 1, false, nil
}

// kfCollectionGet: bpf_rbtree_first/root/left/right, bpf_rbtree_remove,
// bpf_list_{pop,}_{front,back}. Removal returns an owning reference (to
// release or add again), the others a non-owning one; all may be NULL.
func (v *verifier) kfCollectionGet(st *vstate, pc int, name string) error {
	kind, nodeKind := graphKinds(name)
	root, lock, err := v.collectionRoot(st, pc, 1, kind)
	if err != nil {
		return err
	}
	owning := name == "bpf_rbtree_remove" || name == "bpf_list_pop_front" || name == "bpf_list_pop_back"
	var nodeType btf.Type
	var nodeOff int64 = -1
	switch name {
	case "bpf_rbtree_remove", "bpf_rbtree_left", "bpf_rbtree_right":
		n, s, err := v.nodeArg(st, pc, 2, root, kind, nodeKind)
		if err != nil {
			return err
		}
		if n.flags&flagNonOwn == 0 && n.refID == 0 {
			return v.errorState(st, pc, "%s can only take non-owning or refcounted bpf_rb_node pointer", name)
		}
		nodeType, nodeOff = s, int64(n.off)
	default:
		if tn, fn := v.containsNode(root); tn != "" && v.prog.BTF != nil {
			var s *btf.Struct
			if err := v.prog.BTF.TypeByName(tn, &s); err == nil {
				nodeType = s
				for _, m := range s.Members {
					if m.Name == fn {
						nodeOff = int64(m.Offset.Bytes())
					}
				}
			}
		}
	}
	f := st.cur()
	clobberCallerSaved(f)
	r0 := &f.regs[0]
	if nodeType == nil || nodeOff < 0 {
		return v.errorState(st, pc, "%s at off=%d: no __contains(type, field) tag tells what it holds", kind, root.off)
	}
	*r0 = makePtr(ptrToBTFID)
	r0.btfIdx = v.typeID(nodeType)
	r0.off = int32(nodeOff)
	r0.flags = flagAlloc | flagMaybeNull
	r0.id = v.newID()
	if owning {
		r0.refID = v.acquireRef(st, pc)
		r0.id = r0.refID
	} else {
		r0.flags |= flagNonOwn
		r0.guard = lock.id
	}
	return nil
}

// kfRefcountAcquire: bpf_refcount_acquire_impl takes an owning or
// non-owning reference to an object with a bpf_refcount field and returns
// a new owning reference to it (or NULL).
func (v *verifier) kfRefcountAcquire(st *vstate, pc int) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	if r1.isNullConst() || r1.mayBeNull() {
		return v.errorState(st, pc, "Possibly NULL pointer passed to trusted arg0")
	}
	if r1.typ != ptrToBTFID || r1.flags&flagAlloc == 0 || r1.flags&flagUntrusted != 0 || (r1.refID == 0 && r1.flags&flagNonOwn == 0) {
		return v.errorState(st, pc, "arg#0 is neither owning or non-owning ref")
	}
	s, _ := btf.UnderlyingType(v.btfT(r1.btfIdx)).(*btf.Struct)
	if s == nil || !hasField(v.specialFields(s), "bpf_refcount") {
		return v.errorState(st, pc, "arg#0 doesn't point to a type with bpf_refcount field")
	}
	if !r1.isConst() || r1.off != 0 || r1.varOff.value != 0 {
		return v.errorState(st, pc, "R1 must have zero offset when passed to bpf_refcount_acquire_impl")
	}
	f := st.cur()
	clobberCallerSaved(f)
	r0 := &f.regs[0]
	*r0 = makePtr(ptrToBTFID)
	r0.btfIdx = v.typeID(s)
	r0.flags = flagAlloc | flagMaybeNull
	r0.refID = v.acquireRef(st, pc)
	r0.id = r0.refID
	return nil
}

// ---- RCU read sections ----

// kfRCU is bpf_rcu_read_lock/unlock (check_kfunc_call, verifier.c 6.12):
// sections do not nest; at the unlock, RCU-protected pointers become
// untrusted (they may not be passed to kfuncs nor trusted any more).
func (v *verifier) kfRCU(st *vstate, pc int, lock bool) error {
	name := "bpf_rcu_read_unlock"
	if lock {
		name = "bpf_rcu_read_lock"
	}
	switch {
	case lock && st.rcuLock:
		return v.errorState(st, pc, "nested rcu read lock (kernel function %s)", name)
	case !lock && !st.rcuLock:
		return v.errorState(st, pc, "unmatched rcu read unlock (kernel function %s)", name)
	}
	st.rcuLock = lock
	if !lock {
		st.forEachReg(func(r *regState) {
			if r.isPtr() && r.flags&flagRCU != 0 {
				r.flags &^= flagRCU | flagMaybeNull
				r.flags |= flagUntrusted
			}
		})
		// and so do the RCU-protected iterators on the stack
		for _, f := range st.frames {
			for i := range f.stack {
				if sl := &f.stack[i]; sl.types[0] == slotIter && sl.spill.flags&flagRCU != 0 {
					f.ownStack()
					sl = &f.stack[i]
					sl.spill.flags = sl.spill.flags&^flagRCU | flagUntrusted
				}
			}
		}
	}
	clobberCallerSaved(st.cur())
	st.cur().regs[0] = unknownScalar()
	return nil
}
