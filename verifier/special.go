package verifier

import (
	"strings"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// Kfuncs whose semantics the verifier knows by name: allocated objects,
// rbtree and list operations, resilient spin locks, numeric iterators.

func (v *verifier) specialKfunc(st *vstate, pc int, k *bpfvm.Kfunc) (bool, int, bool, error) {
	switch k.Name {
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
	case "bpf_iter_num_new":
		return true, pc + 1, false, v.kfIterNew(st, pc)
	case "bpf_iter_num_next":
		return true, pc + 1, false, v.kfIterNext(st, pc)
	case "bpf_iter_num_destroy":
		return true, pc + 1, false, v.kfIterDestroy(st, pc)
	case "bpf_rbtree_add_impl", "bpf_list_push_front_impl", "bpf_list_push_back_impl":
		next, done, err := v.kfCollectionAdd(st, pc, k.Name)
		return true, next, done, err
	case "bpf_rbtree_first", "bpf_rbtree_remove", "bpf_list_pop_front", "bpf_list_pop_back",
		"bpf_list_front", "bpf_list_back":
		return true, pc + 1, false, v.kfCollectionGet(st, pc, k.Name)
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
	r0.btfType = s
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

// ---- numeric iterators (bpf_iter_num_*) ----

// iterSlot returns the stack slot of the iterator r points to.
func (v *verifier) iterSlot(st *vstate, r *regState) (*stackSlot, bool) {
	if r.typ != ptrToStack || !r.isConst() {
		return nil, false
	}
	o := int64(r.off) + int64(r.varOff.value)
	if o%8 != 0 || o < -bpfvm.StackSize || o >= 0 {
		return nil, false
	}
	f := v.frameOf(st, r)
	i := int((-o - 1) / 8)
	if i >= len(f.stack) {
		return nil, false
	}
	sl := &f.stack[i]
	if sl.types[0] != slotIter {
		return sl, false
	}
	return sl, true
}

func (v *verifier) kfIterNew(st *vstate, pc int) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	for r := uint8(2); r <= 3; r++ {
		x, err := v.argReg(st, pc, r)
		if err != nil {
			return err
		}
		if x.typ != scalarValue {
			return v.errorState(st, pc, "R%d is not a scalar", r)
		}
	}
	if r1.typ != ptrToStack || !r1.isConst() {
		return v.errorState(st, pc, "arg#0 expected pointer to an iterator on stack")
	}
	o := int64(r1.off) + int64(r1.varOff.value)
	if o%8 != 0 || o < -bpfvm.StackSize || o+8 > 0 {
		return v.errorState(st, pc, "arg#0 expected pointer to an iterator on stack")
	}
	if sl, ok := v.iterSlot(st, r1); ok && sl != nil {
		return v.errorState(st, pc, "expected uninitialized iter_num as arg #0")
	}
	f := v.frameOf(st, r1)
	v.noteStackDepth(st, r1, int(-o))
	f.growStack(int(-o))
	sl := &f.stack[(-o-1)/8]
	for b := range sl.types {
		sl.types[b] = slotIter
	}
	ref := v.acquireRef(st, pc)
	sl.spill = regState{typ: scalarValue, refID: ref, iterState: iterActive}
	clobberCallerSaved(st.cur())
	st.cur().regs[0] = unknownScalar()
	return nil
}

func (v *verifier) kfIterNext(st *vstate, pc int) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	sl, ok := v.iterSlot(st, r1)
	if !ok {
		return v.errorState(st, pc, "expected an initialized iter_num as arg #0")
	}
	if sl.spill.iterState == iterActive {
		// queued: the loop goes on, r0 points to the current number
		next := v.push(st, pc+1)
		nsl, _ := v.iterSlot(next, &next.cur().regs[1])
		nsl.spill.iterDepth++
		nf := next.cur()
		clobberCallerSaved(nf)
		nf.regs[0] = makePtr(ptrToMem)
		nf.regs[0].memSize = 4
		nf.regs[0].flags = flagRdonly
	}
	// current: the iterator is drained and returned NULL
	sl.spill.iterState = iterDrained
	f := st.cur()
	clobberCallerSaved(f)
	f.regs[0] = constScalar(0)
	return nil
}

func (v *verifier) kfIterDestroy(st *vstate, pc int) error {
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	sl, ok := v.iterSlot(st, r1)
	if !ok {
		return v.errorState(st, pc, "expected an initialized iter_num as arg #0")
	}
	ref := sl.spill.refID
	for b := range sl.types {
		sl.types[b] = slotInvalid
	}
	sl.spill = regState{}
	v.dropRef(st, ref)
	clobberCallerSaved(st.cur())
	return nil
}

// ---- rbtree and list ----

// collectionRoot checks a bpf_rb_root / bpf_list_head argument and that the
// lock guarding it is held. It returns the root's special field.
func (v *verifier) collectionRoot(st *vstate, pc int, regno uint8, kind string) (specialField, error) {
	r, err := v.argReg(st, pc, regno)
	if err != nil {
		return specialField{}, err
	}
	if r.typ != ptrToMapValue || r.mayBeNull() || !r.isConst() {
		return specialField{}, v.errorState(st, pc, "arg#%d expected pointer to map value holding a %s (R%d type=%s)", regno-1, kind, regno, v.typeName(r))
	}
	ms := v.mapSpec(int(r.mapIdx))
	if ms == nil {
		return specialField{}, v.errorState(st, pc, "R%d invalid map", regno)
	}
	off := int64(r.off) + int64(r.varOff.value)
	var root *specialField
	fields := specialFields(ms.Value)
	for i := range fields {
		if fields[i].kind == kind && int64(fields[i].off) == off {
			root = &fields[i]
		}
	}
	if root == nil {
		return specialField{}, v.errorState(st, pc, "R%d doesn't point to a %s field (off %d)", regno, kind, off)
	}
	id := r.id
	if ms.Section != "" {
		id = 0
	}
	for _, l := range st.locks {
		if l.class.Map == ms.Name && l.ptrID == id {
			return *root, nil
		}
	}
	lockOff := -1
	for _, f := range fields {
		if f.kind == "bpf_spin_lock" || f.kind == "bpf_res_spin_lock" {
			lockOff = int(f.off)
		}
	}
	return specialField{}, v.errorState(st, pc, "bpf_spin_lock at off=%d must be held for %s", lockOff, kind)
}

// containsNode parses a "contains:type:field" tag.
func (v *verifier) containsNode(root specialField) (string, string) {
	parts := strings.SplitN(root.contains, ":", 3)
	if len(parts) != 3 {
		return "", ""
	}
	return parts[1], parts[2]
}

func (v *verifier) kfCollectionAdd(st *vstate, pc int, name string) (int, bool, error) {
	kind, nodeKind := "bpf_list_head", "bpf_list_node"
	if strings.HasPrefix(name, "bpf_rbtree") {
		kind, nodeKind = "bpf_rb_root", "bpf_rb_node"
	}
	root, err := v.collectionRoot(st, pc, 1, kind)
	if err != nil {
		return 0, false, err
	}
	n, err := v.argReg(st, pc, 2)
	if err != nil {
		return 0, false, err
	}
	if n.typ != ptrToBTFID || n.flags&flagAlloc == 0 || n.mayBeNull() || !n.isConst() {
		return 0, false, v.errorState(st, pc, "arg#1 expected pointer to allocated object (R2 type=%s)", v.typeName(n))
	}
	if n.refID == 0 || n.flags&flagNonOwn != 0 {
		return 0, false, v.errorState(st, pc, "arg#1 expected owning reference to allocated object")
	}
	s, _ := btf.UnderlyingType(n.btfType).(*btf.Struct)
	off := int64(n.off) + int64(n.varOff.value)
	okNode := false
	for _, f := range specialFields(s) {
		if f.kind == nodeKind && int64(f.off) == off {
			okNode = true
		}
	}
	if !okNode {
		return 0, false, v.errorState(st, pc, "arg#1 offset=%d, but expected %s at this offset", off, nodeKind)
	}
	if tn, _ := v.containsNode(root); tn != "" && s != nil && s.Name != tn {
		return 0, false, v.errorState(st, pc, "operation on %s expects arg#1 %s at offset=%d in struct %s, but arg is at offset=%d in struct %s", kind, nodeKind, off, tn, off, s.Name)
	}
	var cb int32 = -1
	if kind == "bpf_rb_root" {
		less, err := v.argReg(st, pc, 3)
		if err != nil {
			return 0, false, err
		}
		if less.typ != ptrToFunc {
			return 0, false, v.expectType(st, pc, 3, less, "func")
		}
		cb = less.subprog
	}
	// ownership moves to the collection: the node becomes a non-owning
	// reference, valid until the lock is released
	ref := n.refID
	v.dropRef(st, ref)
	st.forEachReg(func(r *regState) {
		if r.refID == ref {
			r.refID = 0
			r.flags |= flagNonOwn
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
			a.flags = flagAlloc | flagNonOwn
			cf.regs[r] = a
		}
		v.queue = append(v.queue, pendingPath{side, int(cb)})
	}
	f := st.cur()
	clobberCallerSaved(f)
	if kind == "bpf_rb_root" || true {
		f.regs[0] = unknownScalar()
	}
	return pc + 1, false, nil
}

func (v *verifier) kfCollectionGet(st *vstate, pc int, name string) error {
	kind, nodeKind := "bpf_list_head", "bpf_list_node"
	if strings.HasPrefix(name, "bpf_rbtree") {
		kind, nodeKind = "bpf_rb_root", "bpf_rb_node"
	}
	root, err := v.collectionRoot(st, pc, 1, kind)
	if err != nil {
		return err
	}
	owning := name != "bpf_rbtree_first" && name != "bpf_list_front" && name != "bpf_list_back"
	var nodeType btf.Type
	var nodeOff int64 = -1
	tn, fn := v.containsNode(root)
	if name == "bpf_rbtree_remove" {
		n, err := v.argReg(st, pc, 2)
		if err != nil {
			return err
		}
		if n.typ != ptrToBTFID || n.flags&flagAlloc == 0 || n.mayBeNull() {
			return v.errorState(st, pc, "arg#1 expected pointer to allocated object (R2 type=%s)", v.typeName(n))
		}
		if n.flags&flagNonOwn == 0 {
			return v.errorState(st, pc, "rbtree_remove node input must be non-owning ref")
		}
		nodeType, nodeOff = n.btfType, int64(n.off)
	} else if tn != "" && v.prog.BTF != nil {
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
	f := st.cur()
	clobberCallerSaved(f)
	r0 := &f.regs[0]
	if nodeType == nil || nodeOff < 0 {
		// the contained type is unknown: the result can only be compared
		*r0 = unknownScalar()
		_ = nodeKind
		return nil
	}
	*r0 = makePtr(ptrToBTFID)
	r0.btfType = nodeType
	r0.off = int32(nodeOff)
	r0.flags = flagAlloc | flagMaybeNull
	r0.id = v.newID()
	if owning {
		r0.refID = v.acquireRef(st, pc)
	} else {
		r0.flags |= flagNonOwn
	}
	return nil
}
