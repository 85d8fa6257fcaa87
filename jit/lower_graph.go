package jit

import (
	"github.com/schedsim/schedsim/bpfvm"
)

// Native graph kfuncs (bpfvm/graph_native.go has the cases and why they
// are exact): bpf_obj_new_impl, bpf_obj_drop_impl, bpf_rbtree_add_impl
// and bpf_rbtree_remove. Each checks everything its case needs before it
// changes anything, using only rcx, r11 and state.spill[2], and exits to
// the kfunc (exitCall) otherwise, with r0..r9 as they were; past the last
// check it cannot fail. state.nat = 0 (a cost limit to check) exits too.

// maxDropRecords bounds the records a native bpf_obj_drop compares an
// object's header with.
const maxDropRecords = 4

// maxNewBytes bounds the allocations a native bpf_obj_new clears with
// unrolled stores.
const maxNewBytes = 512

// Offsets into bpfvm.Memory (its free lists are [13][]uint64: 24 bytes
// each, pointer, length, capacity; its size table a []uint8).
const (
	mmSize      = int32(bpfvm.MemOffSize)
	mmFree      = int32(bpfvm.MemOffFree)
	mmSizes     = int32(bpfvm.MemOffSizes)
	mmSizesLen  = mmSizes + 8
	mmInUse     = int32(bpfvm.MemOffInUse)
	sliceSize   = 24
	sliceLen    = 8
	sliceCap    = 16
	rbOwnerOff  = int32(bpfvm.RbNodeOwner)
	lnOwnerOff  = int32(bpfvm.ListNodeOwner)
	funcTagHigh = 0xffff_fff0_0000_0000 >> 31 // bpfvm.FuncPC's tag, shifted
)

// natCheck exits to the kfunc unless native kfuncs may run (state.nat).
func (c *compiler) natCheck() {
	c.a.aluMI(aluCmp, true, m(regState, stNat), 0)
	c.exitTo(exitCall, c.a.jcc(ccE))
}

// argReg returns the host register holding BPF register r at this call:
// its own if the code uses it, else tmpC loaded from Context.Regs (the
// prologue never loaded it).
func (c *compiler) argReg(r int) byte {
	if c.used&(1<<r) != 0 {
		return regMap[r]
	}
	c.a.load(8, tmpC, m(regState, stCtx))
	c.a.load(8, tmpC, m(tmpC, cxRegs+int32(8*r)))
	return tmpC
}

// checkGraphPtr exits unless BPF register r is 8-byte aligned and
// [r, r+n) lies in the linear memory (bpfvm's checkPtr; r = 0 is
// outside); the second part not when the block has checked those bytes.
// n is 16 or 32. Uses r11.
func (c *compiler) checkGraphPtr(r uint8, n int32) {
	a := &c.a
	reg := regMap[r]
	a.testRI(false, reg, 7)
	c.exitTo(exitCall, a.jcc(ccNE))
	if sp := c.spans[r]; sp.ok && !sp.null && sp.lo <= 0 && int(n) <= sp.hi {
		return // the block has checked [reg, reg+n) (lower_mem.go, check)
	}
	a.lea(tmp, m(reg, n-8))
	a.aluRM(aluSub, true, tmp, m(regState, stMemBase))
	a.aluRM(aluCmp, true, tmp, m(regState, stLim+8*3))
	c.exitTo(exitCall, a.jcc(ccA))
}

// rootNode emits the checks of a call whose r1 is a struct bpf_rb_root
// and r2 a struct bpf_rb_node: native kfuncs allowed, both pointers as
// checkPtr wants them, and apart. It returns their registers.
func (c *compiler) rootNode() (root, node byte) {
	root, node = regMap[1], regMap[2]
	c.natCheck()
	c.checkGraphPtr(1, bpfvm.RbRootSize)
	c.checkGraphPtr(2, bpfvm.RbNodeSize)
	c.checkApart(root, node)
	return root, node
}

// checkApart exits unless the root's 16 bytes at root and the node's 32
// at node do not overlap (node - root + 31 > 46 unsigned). Uses r11.
func (c *compiler) checkApart(root, node byte) {
	a := &c.a
	a.lea(tmp, m(node, 31))
	a.aluRR(aluSub, true, tmp, root)
	a.aluRI(aluCmp, true, tmp, 46)
	c.exitTo(exitCall, a.jcc(ccBE))
}

// lowerRbAdd emits bpf_rbtree_add_impl(root r1, node r2, less r3) into an
// empty tree.
func (c *compiler) lowerRbAdd() {
	a := &c.a
	root, node := c.rootNode()
	// less: FuncPC(less) must succeed
	less := c.argReg(3)
	a.movRR(true, tmp, less)
	a.shiftRI(shShr, true, tmp, 31)
	a.movRI(tmpC, funcTagHigh)
	a.aluRR(aluCmp, true, tmp, tmpC)
	c.exitTo(exitCall, a.jcc(ccNE))
	// the node in no tree, the tree empty
	a.aluMI(aluCmp, true, m(node, rbOwnerOff), 0)
	c.exitTo(exitCall, a.jcc(ccNE))
	a.aluMI(aluCmp, true, m(root, 0), 0)
	c.exitTo(exitCall, a.jcc(ccNE))
	// the node is the black root, without children, the leftmost
	a.storeI(8, m(node, 0), 1)
	a.storeI(8, m(node, 8), 0)
	a.storeI(8, m(node, 16), 0)
	a.store(8, m(root, 0), node)
	a.store(8, m(root, 8), node)
	a.store(8, m(node, rbOwnerOff), root)
	a.aluRR(aluXor, false, rax, rax)
}

// lowerRbRemove emits bpf_rbtree_remove(root r1, node r2): r0 = 0 if root
// does not own node; the tree's only node (no parent, no children)
// removed; anything else exits.
func (c *compiler) lowerRbRemove() {
	a := &c.a
	root, node := c.rootNode()
	a.aluRM(aluCmp, true, root, m(node, rbOwnerOff))
	notOwned := a.jcc(ccNE)
	a.aluMI(aluCmp, true, m(node, 16), 0) // left
	c.exitTo(exitCall, a.jcc(ccNE))
	a.aluMI(aluCmp, true, m(node, 8), 0) // right
	c.exitTo(exitCall, a.jcc(ccNE))
	a.load(8, tmp, m(node, 0))
	a.testRI(true, tmp, -4) // the parent
	c.exitTo(exitCall, a.jcc(ccNE))
	// rb_erase_cached of the only node: the leftmost moves to its
	// successor (none), the root's link (none: the tree's) empties
	a.aluRM(aluCmp, true, node, m(root, 8))
	skip := a.jcc(ccNE)
	a.storeI(8, m(root, 8), 0)
	a.patch(skip, a.len())
	a.storeI(8, m(root, 0), 0)
	// clearRbNode
	a.store(8, m(node, 0), node)
	a.storeI(8, m(node, 8), 0)
	a.storeI(8, m(node, 16), 0)
	a.storeI(8, m(node, rbOwnerOff), 0)
	a.movRR(true, rax, node)
	done := a.jmp()
	a.patch(notOwned, a.len())
	a.aluRR(aluXor, false, rax, rax)
	a.patch(done, a.len())
}

// lowerObjNew emits bpf_obj_new_impl(r1) for the type id the code loads
// into r1 before the call (checked), from the free list of its class.
func (c *compiler) lowerObjNew() bool {
	if !c.r1Known {
		return false
	}
	o, ok := c.vm.NativeObjNew(c.p, c.r1Imm)
	sz := int32(bpfvm.MinAlloc) << o.Class
	if !ok || o.Class < 0 || o.Class >= bpfvm.MemClasses || sz > maxNewBytes || o.HdrLen >= 1<<20 {
		return false
	}
	a := &c.a
	r1 := regMap[1]
	list := mmFree + int32(o.Class)*sliceSize
	hl := int32(o.HdrLen)
	c.natCheck()
	if v := c.r1Imm; v == uint64(int64(int32(v))) {
		a.aluRI(aluCmp, true, r1, int32(v))
	} else {
		a.movRI(tmp, v)
		a.aluRR(aluCmp, true, r1, tmp)
	}
	c.exitTo(exitCall, a.jcc(ccNE))
	// off = the list's last block, below the dense table's bound and
	// inside its length
	a.load(8, tmp, m(regState, stMem))
	a.load(8, tmpC, m(tmp, list+sliceLen))
	a.testRR(true, tmpC, tmpC)
	c.exitTo(exitCall, a.jcc(ccE))
	a.load(8, tmp, m(tmp, list))
	a.load(8, tmp, mi(tmp, tmpC, 8, -8))
	a.aluRI(aluCmp, true, tmp, bpfvm.MemDenseSizes)
	c.exitTo(exitCall, a.jcc(ccAE))
	a.store(8, m(regState, stSpill+16), tmp)
	a.movRR(true, tmpC, tmp)
	a.shiftRI(shShr, true, tmpC, 4)
	a.load(8, tmp, m(regState, stMem))
	a.aluRM(aluCmp, true, tmpC, m(tmp, mmSizesLen))
	c.exitTo(exitCall, a.jcc(ccAE))
	// pop it, record its class, count it
	a.aluMI(aluSub, true, m(tmp, list+sliceLen), 1)
	a.aluMI(aluAdd, true, m(tmp, mmInUse), sz)
	a.load(8, tmp, m(tmp, mmSizes))
	a.storeI(1, mi(tmp, tmpC, 1, 0), int32(o.Class+1))
	// rax = its address, cleared
	a.load(8, rax, m(regState, stSpill+16))
	a.aluRM(aluAdd, true, rax, m(regState, stMemBase))
	for i := int32(0); i < sz; i += 8 {
		a.storeI(8, m(rax, i), 0)
	}
	// the header: the record's words, then the magic and the length
	last := len(o.Header) - 1
	for i, w := range o.Header[:last] {
		if w == 0 {
			continue // cleared
		}
		if w == uint64(int64(int32(w))) {
			a.storeI(8, m(rax, int32(8*i)), int32(w))
		} else {
			a.movRI(tmpC, w)
			a.store(8, m(rax, int32(8*i)), tmpC)
		}
	}
	a.load(8, tmpC, m(regState, stSpill+16))
	a.aluRI(aluAdd, true, tmpC, hl)
	a.aluRI(aluXor, false, tmpC, int32(bpfvm.ObjMagic))
	a.store(4, m(rax, hl-8), tmpC)
	a.storeI(4, m(rax, hl-4), int32(o.Header[last]>>32))
	// the object and its fields (newObject)
	a.aluRI(aluAdd, true, rax, hl)
	for _, f := range o.Fields {
		off := int32(f.Off)
		switch f.Kind {
		case bpfvm.ObjFieldRefcount:
			a.storeI(4, m(rax, off), 1)
		case bpfvm.ObjFieldRbNode:
			a.lea(tmpC, m(rax, off))
			a.store(8, m(tmpC, 0), tmpC)
		case bpfvm.ObjFieldListNode, bpfvm.ObjFieldListHead:
			a.lea(tmpC, m(rax, off))
			a.store(8, m(tmpC, 0), tmpC)
			a.store(8, m(tmpC, 8), tmpC)
		}
	}
	return true
}

// lowerObjDrop emits bpf_obj_drop_impl(r1) of an object of one of the
// records NativeObjDrops lists for the program, recognised by its whole
// header.
func (c *compiler) lowerObjDrop() bool {
	if !c.dropsSet {
		c.drops, c.dropsSet = c.vm.NativeObjDrops(c.p, maxDropRecords), true
	}
	if len(c.drops) == 0 {
		return false
	}
	for _, o := range c.drops {
		if o.HdrLen+o.Size >= 1<<20 {
			return false
		}
	}
	a := &c.a
	obj := regMap[1]
	c.natCheck()
	a.testRI(false, obj, 15)
	c.exitTo(exitCall, a.jcc(ccNE))
	var done []int
	for _, o := range c.drops {
		var next []int
		hl := int32(o.HdrLen)
		// r11 = the block's offset; the block inside the memory
		a.lea(tmp, m(obj, -hl))
		a.aluRM(aluSub, true, tmp, m(regState, stMemBase))
		a.load(8, tmpC, m(regState, stMem))
		a.load(8, tmpC, m(tmpC, mmSize))
		a.aluRI(aluSub, true, tmpC, hl+int32(o.Size))
		next = append(next, a.jcc(ccB))
		a.aluRR(aluCmp, true, tmp, tmpC)
		next = append(next, a.jcc(ccA))
		// the header, word by word
		last := len(o.Header) - 1
		for i, w := range o.Header[:last] {
			at := m(obj, int32(8*i)-hl)
			if w == uint64(int64(int32(w))) {
				a.aluMI(aluCmp, true, at, int32(w))
			} else {
				a.movRI(tmpC, w)
				a.aluRM(aluCmp, true, tmpC, at)
			}
			next = append(next, a.jcc(ccNE))
		}
		a.lea(tmpC, m(tmp, hl))
		a.aluRI(aluXor, false, tmpC, int32(bpfvm.ObjMagic))
		a.aluRM(aluCmp, false, tmpC, m(obj, -8))
		next = append(next, a.jcc(ccNE))
		a.aluMI(aluCmp, false, m(obj, -4), int32(o.Header[last]>>32))
		next = append(next, a.jcc(ccNE))
		// an object of o: its reference count
		roff := int32(-1)
		for _, f := range o.Fields {
			if f.Kind == bpfvm.ObjFieldRefcount {
				roff = int32(f.Off)
				break
			}
		}
		dec := -1
		if roff >= 0 {
			a.load(4, tmpC, m(obj, roff))
			a.testRR(false, tmpC, tmpC)
			c.exitTo(exitCall, a.jcc(ccE))
			a.aluRI(aluCmp, false, tmpC, 1)
			dec = a.jcc(ccNE)
		}
		// the last reference: its nodes in no tree or list
		for _, f := range o.Fields {
			switch f.Kind {
			case bpfvm.ObjFieldRbNode:
				a.aluMI(aluCmp, true, m(obj, int32(f.Off)+rbOwnerOff), 0)
				c.exitTo(exitCall, a.jcc(ccNE))
			case bpfvm.ObjFieldListNode:
				a.aluMI(aluCmp, true, m(obj, int32(f.Off)+lnOwnerOff), 0)
				c.exitTo(exitCall, a.jcc(ccNE))
			}
		}
		// Free's checks: a dense table entry, live; room in its list
		a.aluRI(aluCmp, true, tmp, bpfvm.MemDenseSizes)
		c.exitTo(exitCall, a.jcc(ccAE))
		a.store(8, m(regState, stSpill+16), tmp)
		a.shiftRI(shShr, true, tmp, 4)
		a.load(8, tmpC, m(regState, stMem))
		a.aluRM(aluCmp, true, tmp, m(tmpC, mmSizesLen))
		c.exitTo(exitCall, a.jcc(ccAE))
		a.load(8, tmpC, m(tmpC, mmSizes))
		a.load(1, tmpC, mi(tmpC, tmp, 1, 0))
		a.testRR(false, tmpC, tmpC)
		c.exitTo(exitCall, a.jcc(ccE))
		// rcx = Memory + 24*(class+1): its list is at mmFree-24
		a.imulRI(true, tmpC, sliceSize)
		a.aluRM(aluAdd, true, tmpC, m(regState, stMem))
		a.load(8, tmp, m(tmpC, mmFree-sliceSize+sliceLen))
		a.aluRM(aluCmp, true, tmp, m(tmpC, mmFree-sliceSize+sliceCap))
		c.exitTo(exitCall, a.jcc(ccAE))
		// drop it: count 0, magic 0, the block pushed on its list, its
		// table entry cleared, inUse less its size
		if roff >= 0 {
			a.storeI(4, m(obj, roff), 0)
		}
		a.storeI(4, m(obj, -8), 0)
		a.aluMI(aluAdd, true, m(tmpC, mmFree-sliceSize+sliceLen), 1)
		a.load(8, tmpC, m(tmpC, mmFree-sliceSize))
		a.load(8, rax, m(regState, stSpill+16))
		a.store(8, mi(tmpC, tmp, 8, 0), rax)
		a.movRR(true, tmp, rax)
		a.shiftRI(shShr, true, tmp, 4)
		a.load(8, rax, m(regState, stMem))
		a.load(8, rax, m(rax, mmSizes))
		a.load(1, tmpC, mi(rax, tmp, 1, 0))
		a.storeI(1, mi(rax, tmp, 1, 0), 0)
		a.movRI(rax, 8)
		a.shiftRCL(shShl, true, rax) // 16 << class
		a.load(8, tmp, m(regState, stMem))
		a.aluRM(aluSub, true, rax, m(tmp, mmInUse))
		a.neg(true, rax)
		a.store(8, m(tmp, mmInUse), rax)
		a.aluRR(aluXor, false, rax, rax)
		done = append(done, a.jmp())
		if dec >= 0 {
			// more references: one fewer
			a.patch(dec, a.len())
			a.aluRI(aluSub, false, tmpC, 1)
			a.store(4, m(obj, roff), tmpC)
			a.aluRR(aluXor, false, rax, rax)
			done = append(done, a.jmp())
		}
		for _, at := range next {
			a.patch(at, a.len())
		}
	}
	// no record's header: the kfunc
	c.exitTo(exitCall, a.jmp())
	for _, at := range done {
		a.patch(at, a.len())
	}
	return true
}
