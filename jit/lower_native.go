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

// lowerNativeCall emits the native form of the helper call in, if it has
// one, with exits to Go for the cases above, and reports whether it did.
func (c *compiler) lowerNativeCall(in bpfvm.Insn) bool {
	if in.Src != 0 || c.vm == nil || c.vm.Registry == nil {
		return false
	}
	h := c.vm.Registry.Helper(in.Imm)
	if h == nil || h.Fn == nil || h.Cost > 1<<30 {
		return false
	}
	a := &c.a
	switch h.Native {
	case bpfvm.NativeCPU:
		a.aluMI(aluCmp, true, m(regState, stNat), 0)
		c.exitTo(exitCall, a.jcc(ccE))
		a.load(8, rax, m(regState, stCPU))
	case bpfvm.NativeMapLookup:
		nm, ok := c.vm.NativeLookup(c.r1Map)
		if !ok || c.r1Map < 0 || !c.lowerLookup(nm) {
			return false
		}
	default:
		return false
	}
	if h.Cost != 0 {
		a.load(8, tmp, m(regState, stCtx))
		a.aluMI(aluAdd, true, m(tmp, cxCost), int32(h.Cost))
	}
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
	a.movRI(tmp, nm.Addr)
	a.aluRR(aluCmp, true, regMap[1], tmp)
	c.exitTo(exitCall, a.jcc(ccNE))
	a.movRR(true, tmp, regMap[2])
	a.aluRM(aluSub, true, tmp, m(regState, stMemBase))
	a.aluRM(aluCmp, true, tmp, m(regState, stLim+8*log2Size(ks)))
	c.exitTo(exitCall, a.jcc(ccA))
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
		c.keep = append(c.keep, nm.Index)
		key := regMap[6] // borrowed, saved in the spill slot
		a.store(8, m(regState, stSpill), key)
		a.load(ks, key, m(regMap[2], 0))
		a.movRR(true, rax, key)
		a.movRI(tmpC, bpfvm.HashMul)
		a.imulRR(true, rax, tmpC)
		a.movRI(tmp, uint64(uintptr(unsafe.Pointer(nm.Index))))
		a.load(8, tmpC, m(tmp, ixShift))
		a.shiftRCL(shShr, true, rax)
		a.shiftRI(shShl, true, rax, 4)
		a.load(8, tmpC, m(tmp, ixMask16))
		a.load(8, tmp, m(tmp, ixSlots))
		loop := a.len()
		a.aluMI(aluCmp, true, mi(tmp, rax, 1, 8), 0)
		miss = append(miss, a.jcc(ccE))
		a.aluRM(aluCmp, true, key, mi(tmp, rax, 1, 0))
		hit := a.jcc(ccE)
		a.aluRI(aluAdd, true, rax, 16)
		a.aluRR(aluAnd, true, rax, tmpC)
		a.patch(a.jmp(), loop)
		a.patch(hit, a.len())
		a.load(8, rax, mi(tmp, rax, 1, 8))
		c.addCPUOffset(nm)
		a.load(8, key, m(regState, stSpill))
		done = append(done, a.jmp())
		for _, at := range miss {
			a.patch(at, a.len())
		}
		miss = nil
		a.load(8, key, m(regState, stSpill))
		a.aluRR(aluXor, false, rax, rax)
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
func (c *compiler) trackR1(in bpfvm.Insn) {
	switch in.Class() {
	case bpfvm.ClassALU, bpfvm.ClassALU64, bpfvm.ClassLDX, bpfvm.ClassLD:
		if in.Dst != 1 {
			return
		}
		c.r1Map = -1
		if in.IsLdImm64() && in.Src == bpfvm.PseudoMapIdx {
			c.r1Map = int(in.Imm)
		}
	}
}
