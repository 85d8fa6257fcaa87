package jit

import (
	"unsafe"

	"github.com/schedsim/schedsim/bpfvm"
)

// Native helpers. A call of a helper marked bpfvm.Helper.Native is served
// in generated code when it can be, with exactly the helper's result and
// cost, as the kernel's JIT inlines map lookups (map_gen_lookup):
//
//   - bpf_map_lookup_elem on the map that the last LD_IMM64 into r1 before
//     the call names (checked at run time: r1 must hold that map), if
//     bpfvm.VM.NativeLookup describes it (arrays, per-CPU arrays, hash
//     maps with small keys through their bpfvm.HashIndex);
//   - bpf_get_smp_processor_id: r0 = Context.CPU.
//
// Anything else exits to Go as every call does (exitCall), and so does a
// native call whenever the helper would do more than compute its result:
// with a cost limit to check (Context.CostLimit, state.nat = 0), a context
// CPU outside the VM (state.natMap = 0), or a key outside the linear
// memory (the helper faults with its message). The call is its own block,
// already counted at its start, and r1..r5 are left as they were.

// lowerNativeCall emits the native form of the helper or kfunc call in,
// if it has one, with exits to Go for the cases above, and reports
// whether it did.
func (c *compiler) lowerNativeCall(in bpfvm.Insn) bool {
	if c.vm == nil || c.vm.Registry == nil {
		return false
	}
	var native bpfvm.Native
	var cost uint64
	switch in.Src {
	case 0:
		h := c.vm.Registry.Helper(in.Imm)
		if h == nil || h.Fn == nil {
			return false
		}
		native, cost = h.Native, h.Cost
	case bpfvm.CallKfunc:
		k := c.vm.Registry.Kfunc(in.Imm)
		if k == nil || k.Fn == nil {
			return false
		}
		switch k.Native {
		case bpfvm.NativeClock, bpfvm.NativeZero, bpfvm.NativeRbFirst,
			bpfvm.NativeObjNew, bpfvm.NativeObjDrop, bpfvm.NativeRbAdd, bpfvm.NativeRbRemove:
		default:
			return false
		}
		native, cost = k.Native, k.Cost
	default:
		return false
	}
	if cost > 1<<30 {
		return false
	}
	a := &c.a
	switch native {
	case bpfvm.NativeCPU:
		a.aluMI(aluCmp, true, m(regState, stNat), 0)
		c.exitTo(exitCall, a.jcc(ccE))
		a.load(8, rax, m(regState, stCPU))
	case bpfvm.NativeMapLookup:
		nm, ok := c.vm.NativeLookup(c.r1Map)
		if !ok || c.r1Map < 0 || !c.lowerLookup(nm) {
			return false
		}
		if k := c.known[1]; k.exact() && k.v == nm.Addr && k.v == c.vm.Maps[c.r1Map].Addr() {
			// r1 is the map on every path: r0 is 0 or the address
			// of one of its values, inside the memory (lower_mem.go)
			if vs := c.vm.Maps[c.r1Map].Spec().ValueSize; vs > 0 && vs < 1<<20 {
				c.callSpan = checked{ok: true, lo: 0, hi: int(vs), null: true}
			}
		}
	case bpfvm.NativeClock:
		ns := c.vm.Native
		if ns == nil {
			return false
		}
		c.keep = append(c.keep, ns)
		a.aluMI(aluCmp, true, m(regState, stNat), 0)
		c.exitTo(exitCall, a.jcc(ccE))
		a.movRI(tmp, uint64(uintptr(unsafe.Pointer(ns))))
		a.aluMI(aluCmp, true, m(tmp, nsOn), 0)
		c.exitTo(exitCall, a.jcc(ccE))
		a.load(8, rax, m(tmp, nsClock))
	case bpfvm.NativeRbFirst:
		// as checkRoot: aligned, [r1, r1+16) inside the memory (r1+8 -
		// memBase > size-8 otherwise; r1 = 0 is outside)
		r1 := regMap[1]
		a.aluMI(aluCmp, true, m(regState, stNat), 0)
		c.exitTo(exitCall, a.jcc(ccE))
		a.testRI(false, r1, 7)
		c.exitTo(exitCall, a.jcc(ccNE))
		if sp := c.spans[1]; !sp.ok || sp.null || sp.lo > 0 || sp.hi < 16 {
			a.lea(tmp, m(r1, 8))
			a.aluRM(aluSub, true, tmp, m(regState, stMemBase))
			a.aluRM(aluCmp, true, tmp, m(regState, stLim+8*3))
			c.exitTo(exitCall, a.jcc(ccA))
		}
		a.load(8, rax, m(r1, 8))
	case bpfvm.NativeZero:
		a.aluMI(aluCmp, true, m(regState, stNat), 0)
		c.exitTo(exitCall, a.jcc(ccE))
		a.aluRR(aluXor, false, rax, rax)
	case bpfvm.NativeSpinLock, bpfvm.NativeSpinUnlock:
		if !c.lowerLock(native == bpfvm.NativeSpinLock) {
			return false
		}
	case bpfvm.NativeObjNew:
		if !c.lowerObjNew() {
			return false
		}
	case bpfvm.NativeObjDrop:
		if !c.lowerObjDrop() {
			return false
		}
	case bpfvm.NativeRbAdd:
		c.lowerRbAdd()
	case bpfvm.NativeRbRemove:
		c.lowerRbRemove()
	default:
		return false
	}
	if cost != 0 {
		a.load(8, tmp, m(regState, stCtx))
		a.aluMI(aluAdd, true, m(tmp, cxCost), int32(cost))
	}
	return true
}

// Offsets into bpfvm.NativeState and its parts.
const (
	nsOn      = int32(unsafe.Offsetof(bpfvm.NativeState{}.On))
	nsClock   = int32(unsafe.Offsetof(bpfvm.NativeState{}.Clock))
	nsNow     = int32(unsafe.Offsetof(bpfvm.NativeState{}.Now))
	nsMul     = int32(unsafe.Offsetof(bpfvm.NativeState{}.Mul))
	nsCPUs    = int32(unsafe.Offsetof(bpfvm.NativeState{}.CPUs))
	nsCPUsLen = nsCPUs + int32(unsafe.Sizeof(uintptr(0)))
	nsCache   = int32(unsafe.Offsetof(bpfvm.NativeState{}.Cache))
	ceAddr    = int32(unsafe.Offsetof(bpfvm.LockCacheEntry{}.Addr))
	ceWord    = int32(unsafe.Offsetof(bpfvm.LockCacheEntry{}.Word))
	lcSize    = int32(unsafe.Sizeof(bpfvm.LockCPU{}))
	lcN       = int32(unsafe.Offsetof(bpfvm.LockCPU{}.N))
	lcHeld    = int32(unsafe.Offsetof(bpfvm.LockCPU{}.Held))
	hlSize    = int32(unsafe.Sizeof(bpfvm.HeldLock{}))
	hlAddr    = int32(unsafe.Offsetof(bpfvm.HeldLock{}.Addr))
	hlWord    = int32(unsafe.Offsetof(bpfvm.HeldLock{}.Word))
	hlPC      = int32(unsafe.Offsetof(bpfvm.HeldLock{}.PC))
	hlAt      = int32(unsafe.Offsetof(bpfvm.HeldLock{}.At))
	hlProg    = int32(unsafe.Offsetof(bpfvm.HeldLock{}.Prog))
	lwHolder  = int32(unsafe.Offsetof(bpfvm.LockWord{}.Holder))
	lwHeldAt  = int32(unsafe.Offsetof(bpfvm.LockWord{}.HeldAt))
	lwAcq     = int32(unsafe.Offsetof(bpfvm.LockWord{}.Acquisitions))
	lwTotal   = int32(unsafe.Offsetof(bpfvm.LockWord{}.HoldTotal))
	lwMax     = int32(unsafe.Offsetof(bpfvm.LockWord{}.HoldMax))
	ceSize    = int32(unsafe.Sizeof(bpfvm.LockCacheEntry{}))
)

// lowerLock emits bpf_spin_lock(r1) (lock) or bpf_spin_unlock(r1) on
// the VM's bpfvm.NativeState: a lock is taken natively when it is in the
// cache and free, released when it is the newest on the CPU's native held
// stack; otherwise the call exits to the helper. state.lockNS holds ns
// only when native helpers may run (state.nat) and the CPU has a LockCPU
// (state.lockCPU, Engine.state), so one compare checks all three. Until
// the last check the code uses only the scratch registers, so r0..r9 are
// unchanged at those exits.
func (c *compiler) lowerLock(lock bool) bool {
	ns := c.vm.Native
	if ns == nil || ceSize != 16 || hlSize != 40 {
		return false
	}
	if c.progIdx == -2 {
		c.progIdx = c.vm.ProgramIndex(c.p)
	}
	if c.progIdx < 0 || c.progIdx >= 1<<31 || c.pc >= 1<<31 {
		return false
	}
	c.keep = append(c.keep, ns)
	a := &c.a
	r1 := regMap[1]
	nsAddr := uint64(uintptr(unsafe.Pointer(ns)))
	// tmp = ns: this state's, and on
	a.movRI(tmp, nsAddr)
	a.aluRM(aluCmp, true, tmp, m(regState, stLockNS))
	c.exitTo(exitCall, a.jcc(ccNE))
	a.aluMI(aluCmp, true, m(tmp, nsOn), 0)
	c.exitTo(exitCall, a.jcc(ccE))
	if lock {
		// the cache entry of r1: tmp = its LockWord, free
		a.movRR(true, tmpC, r1)
		a.rm(0, true, []byte{0x0f, 0xaf}, tmpC, m(tmp, nsMul), false) // imul rcx, [ns.Mul]
		a.shiftRI(shShr, true, tmpC, 64-bpfvm.NativeLockCacheBits)
		a.shiftRI(shShl, true, tmpC, 4)
		a.aluRM(aluCmp, true, r1, mi(tmp, tmpC, 1, nsCache+ceAddr))
		c.exitTo(exitCall, a.jcc(ccNE))
		a.load(8, tmp, mi(tmp, tmpC, 1, nsCache+ceWord))
		a.testRR(true, tmp, tmp)
		c.exitTo(exitCall, a.jcc(ccE))
		a.aluMI(aluCmp, true, m(tmp, lwHolder), -1)
		c.exitTo(exitCall, a.jcc(ccNE))
		// tmpC = the CPU's LockCPU, with room on its stack
		a.load(8, tmpC, m(regState, stLockCPU))
		a.aluMI(aluCmp, true, m(tmpC, lcN), bpfvm.NativeHeldMax)
		c.exitTo(exitCall, a.jcc(ccAE))
		// take it: push {r1, word, pc, Now, prog}, holder = CPU, count it
		// (rax = &Held[N] less lcHeld: N*40 = N*5*8)
		a.load(8, rax, m(tmpC, lcN))
		a.lea(rax, mi(rax, rax, 4, 0))
		a.lea(rax, mi(tmpC, rax, 8, 0))
		a.aluMI(aluAdd, true, m(tmpC, lcN), 1)
		a.store(8, m(rax, lcHeld+hlAddr), r1)
		a.store(8, m(rax, lcHeld+hlWord), tmp)
		a.storeI(8, m(rax, lcHeld+hlPC), int32(c.pc))
		a.storeI(8, m(rax, lcHeld+hlProg), int32(c.progIdx))
		a.load(8, tmpC, m(regState, stCPU))
		a.store(8, m(tmp, lwHolder), tmpC)
		a.aluMI(aluAdd, true, m(tmp, lwAcq), 1)
		a.movRI(tmpC, nsAddr)
		a.load(8, tmpC, m(tmpC, nsNow))
		a.store(8, m(tmp, lwHeldAt), tmpC)
		a.store(8, m(rax, lcHeld+hlAt), tmpC)
	} else {
		// the newest entry of the CPU's stack must be r1: tmp = its word
		a.load(8, tmpC, m(regState, stLockCPU))
		a.load(8, tmp, m(tmpC, lcN))
		a.testRR(true, tmp, tmp)
		c.exitTo(exitCall, a.jcc(ccE))
		a.lea(tmp, mi(tmp, tmp, 4, 0))
		a.lea(tmp, mi(tmpC, tmp, 8, 0)) // &Held[N] less lcHeld
		a.aluRM(aluCmp, true, r1, m(tmp, lcHeld-hlSize+hlAddr))
		c.exitTo(exitCall, a.jcc(ccNE))
		a.load(8, tmp, m(tmp, lcHeld-hlSize+hlWord))
		// release it: pop, hold time, free (the CPU holds it: it is on
		// its stack)
		a.aluMI(aluSub, true, m(tmpC, lcN), 1)
		a.movRI(rax, nsAddr)
		a.load(8, rax, m(rax, nsNow))
		a.aluRM(aluSub, true, rax, m(tmp, lwHeldAt))
		a.rm(0, true, []byte{0x01}, rax, m(tmp, lwTotal), false) // add [HoldTotal], rax
		a.aluRM(aluCmp, true, rax, m(tmp, lwMax))
		skip := a.jcc(ccBE)
		a.store(8, m(tmp, lwMax), rax)
		a.patch(skip, a.len())
		a.storeI(8, m(tmp, lwHolder), -1)
	}
	a.aluRR(aluXor, false, rax, rax)
	return true
}

// lowerLookup emits bpf_map_lookup_elem(r1, r2) on the map nm: r0 = the
// value's address or 0.
func (c *compiler) lowerLookup(nm bpfvm.NativeMap) bool {
	a := &c.a
	row := nm.Stride // bytes between entries
	if nm.Kind == bpfvm.NativeArray && nm.PerCPU {
		row *= uint64(nm.NCPU)
	}
	if row >= 1<<31 || nm.Stride >= 1<<31 {
		return false
	}
	ks := int(nm.KeySize)
	// the map, the context, the key's bytes
	a.aluMI(aluCmp, true, m(regState, stNatMap), 0)
	c.exitTo(exitCall, a.jcc(ccE))
	// (not when the block knows r1 is the map, or r2 a key inside the
	// stack frame: lower_mem.go, check)
	if k := c.known[1]; !k.exact() || k.v != nm.Addr {
		a.movRI(tmp, nm.Addr)
		a.aluRR(aluCmp, true, regMap[1], tmp)
		c.exitTo(exitCall, a.jcc(ccNE))
	}
	if k := c.known[2]; !k.ok || !k.stack || int64(k.v) < -frameBytes || int64(k.v)+int64(ks) > 0 {
		a.movRR(true, tmp, regMap[2])
		a.aluRM(aluSub, true, tmp, m(regState, stMemBase))
		a.aluRM(aluCmp, true, tmp, m(regState, stLim+8*log2Size(ks)))
		c.exitTo(exitCall, a.jcc(ccA))
	}
	var miss, done []int
	switch nm.Kind {
	case bpfvm.NativeArray:
		a.load(4, rax, m(regMap[2], 0))
		a.aluRI(aluCmp, false, rax, int32(nm.MaxEntries))
		miss = append(miss, a.jcc(ccAE))
		a.imulRI(true, rax, int32(row))
		c.addCPUOffset(nm)
		a.movRI(tmp, nm.Data)
		a.aluRR(aluAdd, true, rax, tmp)
		done = append(done, a.jmp())
	case bpfvm.NativeHash:
		// rax = the key's slot (its hash), rcx = the key, tmp = the
		// slots; probing past a taken slot (rare) is out of line
		c.keep = append(c.keep, nm.Index)
		ix := uint64(uintptr(unsafe.Pointer(nm.Index)))
		a.load(ks, rax, m(regMap[2], 0))
		a.movRI(tmpC, bpfvm.HashMul)
		a.imulRR(true, rax, tmpC)
		a.movRI(tmp, ix)
		a.load(8, tmpC, m(tmp, ixShift))
		a.shiftRCL(shShr, true, rax)
		a.shiftRI(shShl, true, rax, 4)
		a.load(ks, tmpC, m(regMap[2], 0))
		a.load(8, tmp, m(tmp, ixSlots))
		loop := a.len()
		a.aluMI(aluCmp, true, mi(tmp, rax, 1, 8), 0)
		empty := a.jcc(ccE)
		a.aluRM(aluCmp, true, tmpC, mi(tmp, rax, 1, 0))
		taken := a.jcc(ccNE)
		a.load(8, rax, mi(tmp, rax, 1, 8))
		c.addCPUOffset(nm)
		back := a.len()
		c.cold = append(c.cold, func() {
			a.patch(taken, a.len())
			a.aluRI(aluAdd, true, rax, 16)
			a.movRI(tmp, ix)
			a.aluRM(aluAnd, true, rax, m(tmp, ixMask16))
			a.load(8, tmp, m(tmp, ixSlots))
			a.patch(a.jmp(), loop)
			a.patch(empty, a.len())
			a.aluRR(aluXor, false, rax, rax)
			a.patch(a.jmp(), back)
		})
	}
	for _, at := range miss {
		a.patch(at, a.len())
	}
	if len(miss) > 0 {
		a.aluRR(aluXor, false, rax, rax)
	}
	for _, at := range done {
		a.patch(at, a.len())
	}
	return true
}

// addCPUOffset adds the calling CPU's offset, CPU*Stride, to rax for a
// per-CPU map.
func (c *compiler) addCPUOffset(nm bpfvm.NativeMap) {
	if !nm.PerCPU {
		return
	}
	a := &c.a
	a.load(8, tmp, m(regState, stCPU))
	a.imulRI(true, tmp, int32(nm.Stride))
	a.aluRR(aluAdd, true, rax, tmp)
}

// trackR1 follows the last LD_IMM64 of a map into r1 (in instruction
// order; the native lookup checks r1 at run time, so a guess that a jump
// makes wrong only costs the exit).
//
// It follows constants loaded into r1 the same way (r1Imm, for
// bpf_obj_new's type id: checked at run time too).
func (c *compiler) trackR1(i int) {
	in := c.p.Insns[i]
	switch in.Class() {
	case bpfvm.ClassALU, bpfvm.ClassALU64, bpfvm.ClassLDX, bpfvm.ClassLD:
		if in.Dst != 1 {
			return
		}
		c.r1Map = -1
		c.r1Known = false
		switch {
		case in.IsLdImm64() && in.Src == bpfvm.PseudoMapIdx:
			c.r1Map = int(in.Imm)
		case in.IsLdImm64() && in.Src == 0 && i+1 < c.n:
			c.r1Imm, c.r1Known = uint64(uint32(in.Imm))|uint64(c.p.Insns[i+1].Imm)<<32, true
		case in.Op == bpfvm.ClassALU64|bpfvm.SrcK|bpfvm.AluMOV && in.Off == 0:
			c.r1Imm, c.r1Known = uint64(int64(in.Imm)), true
		}
	}
}
