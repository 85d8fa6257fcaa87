package jit

import "github.com/schedsim/schedsim/bpfvm"

var sizeBytes = [4]int{bpfvm.SizeW >> 3: 4, bpfvm.SizeH >> 3: 2, bpfvm.SizeB >> 3: 1, bpfvm.SizeDW >> 3: 8}

func log2Size(n int) int32 {
	switch n {
	case 1:
		return 0
	case 2:
		return 1
	case 4:
		return 2
	}
	return 3
}

// check emits the bounds check of an access of size bytes at BPF register
// base + off, as the interpreter's: (base + off - memBase) > memSize - size
// faults, through the interpreter, at this instruction. Accesses through
// r10 inside its frame need none when the program never writes r10: the
// frame lies inside the linear memory.
func (c *compiler) check(base uint8, off int16, size int) {
	if base == 10 && c.stackSafe && int(off) >= -frameBytes && int(off)+size <= 0 {
		return
	}
	a := &c.a
	if off == 0 {
		a.movRR(true, tmp, regMap[base])
	} else {
		a.lea(tmp, m(regMap[base], int32(off)))
	}
	a.aluRM(aluSub, true, tmp, m(regState, stMemBase))
	a.aluRM(aluCmp, true, tmp, m(regState, stLim+8*log2Size(size)))
	c.exitTo(exitStep, a.jcc(ccA))
}

// lowerMem emits LDX, ST and STX (atomics included). BPF addresses are
// host addresses inside the linear memory, so a checked access uses them
// directly.
func (c *compiler) lowerMem(in bpfvm.Insn) {
	a := &c.a
	size := sizeBytes[(in.Op>>3)&3]
	switch in.Class() {
	case bpfvm.ClassLDX:
		c.check(in.Src, in.Off, size)
		mm := m(regMap[in.Src], int32(in.Off))
		if in.Op&0xe0 == bpfvm.ModeMEMSX {
			a.loadSX(size, regMap[in.Dst], mm)
		} else {
			a.load(size, regMap[in.Dst], mm)
		}
	case bpfvm.ClassST:
		c.check(in.Dst, in.Off, size)
		a.storeI(size, m(regMap[in.Dst], int32(in.Off)), in.Imm)
	case bpfvm.ClassSTX:
		c.check(in.Dst, in.Off, size)
		if in.Op&0xe0 == bpfvm.ModeATOMIC {
			c.lowerAtomic(in, size == 8)
			return
		}
		a.store(size, m(regMap[in.Dst], int32(in.Off)), regMap[in.Src])
	}
}

// lowerAtomic emits the atomic operations, all lock-prefixed: add/or/and/
// xor on memory, fetch_add by xadd, fetch_or/and/xor by a cmpxchg loop,
// xchg, and cmpxchg against r0 (rax).
func (c *compiler) lowerAtomic(in bpfvm.Insn, w bool) {
	a := &c.a
	a.lea(tmp, m(regMap[in.Dst], int32(in.Off)))
	at := m(tmp, 0)
	s := regMap[in.Src]
	op := aluOf(uint8(in.Imm &^ bpfvm.AtomicFETCH))
	switch in.Imm {
	case bpfvm.AtomicADD, bpfvm.AtomicOR, bpfvm.AtomicAND, bpfvm.AtomicXOR:
		a.lockAluMR(op, w, at, s)
	case bpfvm.AtomicADD | bpfvm.AtomicFETCH:
		a.lockXadd(w, at, s)
		if !w {
			a.movRR(false, s, s)
		}
	case bpfvm.AtomicXCHG:
		a.lockXchg(w, at, s)
		if !w {
			a.movRR(false, s, s)
		}
	case bpfvm.AtomicCMPXCHG:
		a.lockCmpxchg(w, at, s)
		if !w {
			a.movRR(false, rax, rax)
		}
	default: // fetch_or, fetch_and, fetch_xor
		a.store(8, m(regState, stSpill), rax)
		a.store(8, m(regState, stSpill+8), s)
		a.load(sizeOf(w), rax, at)
		loop := a.len()
		a.movRR(true, tmpC, rax)
		a.aluRM(op, w, tmpC, m(regState, stSpill+8))
		a.lockCmpxchg(w, at, tmpC)
		a.patch(a.jcc(ccNE), loop)
		a.movRR(w, s, rax)
		if s != rax {
			a.load(8, rax, m(regState, stSpill))
		}
	}
}

func sizeOf(w bool) int {
	if w {
		return 8
	}
	return 4
}

// lowerLd emits LD_IMM64 with its value resolved as the interpreter does;
// forms that cannot execute go through the interpreter, which faults.
func (c *compiler) lowerLd(i int, in bpfvm.Insn) {
	a := &c.a
	lo, hi := uint32(in.Imm), uint32(c.p.Insns[i+1].Imm)
	v := uint64(lo) | uint64(hi)<<32
	switch in.Src {
	case bpfvm.PseudoMapIdx, bpfvm.PseudoMapIdxValue:
		vm := c.vm
		if vm == nil || in.Imm < 0 || int(in.Imm) >= len(vm.Maps) || vm.Maps[in.Imm] == nil {
			c.exitTo(exitStep, a.jmp())
			return
		}
		mp := vm.Maps[in.Imm]
		if in.Src == bpfvm.PseudoMapIdx {
			v = mp.Addr()
		} else {
			addr, ok := mp.ValueAddr(hi)
			if !ok {
				c.exitTo(exitStep, a.jmp())
				return
			}
			v = addr
		}
	case bpfvm.PseudoMapFD, bpfvm.PseudoMapValue:
		c.exitTo(exitStep, a.jmp())
		return
	case bpfvm.PseudoFunc:
		t := int64(i) + 1 + int64(in.Imm)
		if t < 0 || t >= int64(c.n) {
			c.exitTo(exitStep, a.jmp())
			return
		}
		v = bpfvm.FuncPtr(int(t))
	}
	a.movRI(regMap[in.Dst], v)
}
