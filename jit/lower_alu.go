package jit

import "github.com/schedsim/schedsim/bpfvm"

// lowerALU emits an ALU or ALU64 instruction. 32-bit operations use
// 32-bit amd64 forms, which zero the upper half as BPF requires.
func (c *compiler) lowerALU(in bpfvm.Insn) {
	a := &c.a
	w := in.Class() == bpfvm.ClassALU64
	x := in.Op&bpfvm.SrcX != 0
	d := regMap[in.Dst]
	s := regMap[in.Src&15%11]
	imm := in.Imm
	op := in.Op & 0xf0
	zext := func() { // dst = uint32(dst)
		a.movRR(false, d, d)
	}
	switch op {
	case bpfvm.AluADD, bpfvm.AluSUB, bpfvm.AluOR, bpfvm.AluAND, bpfvm.AluXOR:
		o := aluOf(op)
		if x {
			a.aluRR(o, w, d, s)
		} else {
			a.aluRI(o, w, d, imm)
		}
	case bpfvm.AluMUL:
		if x {
			a.imulRR(w, d, s)
		} else {
			a.imulRI(w, d, imm)
		}
	case bpfvm.AluMOV:
		switch {
		case x && in.Off != 0:
			a.movsxRR(w, int(in.Off), d, s)
		case x:
			if w && d == s {
				return
			}
			a.movRR(w, d, s)
		case w:
			a.movRI(d, uint64(int64(imm)))
		default:
			a.movRI(d, uint64(uint32(imm)))
		}
	case bpfvm.AluLSH, bpfvm.AluRSH, bpfvm.AluARSH:
		sh := byte(shSar)
		switch op {
		case bpfvm.AluLSH:
			sh = shShl
		case bpfvm.AluRSH:
			sh = shShr
		}
		if x {
			a.movRR(false, tmpC, s)
			a.shiftRCL(sh, w, d)
			if !w {
				zext() // a count of 0 may leave the upper half
			}
			return
		}
		n := uint8(imm) & 63
		if !w {
			n &= 31
		}
		if n == 0 {
			if !w {
				zext()
			}
			return
		}
		a.shiftRI(sh, w, d, n)
	case bpfvm.AluNEG:
		a.neg(w, d)
	case bpfvm.AluEND:
		c.lowerEnd(in, w, x, d)
	case bpfvm.AluDIV, bpfvm.AluMOD:
		c.lowerDiv(in, w, x, d, s, op == bpfvm.AluMOD, in.Off == 1)
	}
}

// lowerEnd emits the byte swaps: le16/le32 truncate, le64 does nothing,
// be* and bswap* reverse the low bytes.
func (c *compiler) lowerEnd(in bpfvm.Insn, w, x bool, d byte) {
	a := &c.a
	if !w && !x { // le
		switch in.Imm {
		case 16:
			a.movzx16(d, d)
		case 32:
			a.movRR(false, d, d)
		}
		return
	}
	switch in.Imm {
	case 16:
		a.rol16by8(d)
		a.movzx16(d, d)
	case 32:
		a.bswap(false, d)
	default:
		a.bswap(true, d)
	}
}

// lowerDiv emits unsigned and signed division and modulo with the results
// RFC 9669 gives: x/0 = 0, x%0 = x (its low half in 32-bit forms),
// INT_MIN/-1 = INT_MIN, INT_MIN%-1 = 0. amd64 div uses rax and rdx (BPF r0
// and r3), which are saved around it.
func (c *compiler) lowerDiv(in bpfvm.Insn, w, x bool, d, s byte, mod, signed bool) {
	a := &c.a
	// divisor into r11
	if x {
		a.movRR(w, tmp, s)
	} else {
		v := uint64(int64(in.Imm))
		if !w {
			v = uint64(uint32(in.Imm))
		}
		a.movRI(tmp, v)
	}
	var done []int
	a.testRR(w, tmp, tmp)
	zero := a.jcc(ccE)
	if signed {
		a.aluRI(aluCmp, w, tmp, -1)
		notm1 := a.jcc(ccNE)
		if mod {
			a.aluRR(aluXor, false, d, d)
		} else {
			a.neg(w, d)
		}
		done = append(done, a.jmp())
		a.patch(notm1, a.len())
	}
	a.movRR(true, tmpC, rax)
	a.store(8, m(regState, stSpill), rdx)
	a.movRR(w, rax, d)
	switch {
	case signed:
		a.signExtendAX(w)
		a.idiv(w, tmp)
	case w:
		// both operands below 2^32: the 32-bit divide is much faster
		a.movRR(true, rdx, rax)
		a.aluRR(aluOr, true, rdx, tmp)
		a.shiftRI(shShr, true, rdx, 32)
		wide := a.jcc(ccNE)
		a.div(false, tmp) // edx is 0
		narrow := a.jmp()
		a.patch(wide, a.len())
		a.aluRR(aluXor, false, rdx, rdx)
		a.div(true, tmp)
		a.patch(narrow, a.len())
	default:
		a.aluRR(aluXor, false, rdx, rdx)
		a.div(false, tmp)
	}
	if mod {
		a.movRR(true, tmp, rdx)
	} else {
		a.movRR(true, tmp, rax)
	}
	a.movRR(true, rax, tmpC)
	a.load(8, rdx, m(regState, stSpill))
	a.movRR(w, d, tmp)
	done = append(done, a.jmp())
	// division by zero
	a.patch(zero, a.len())
	switch {
	case !mod:
		a.aluRR(aluXor, false, d, d)
	case !w:
		a.movRR(false, d, d)
	}
	for _, at := range done {
		a.patch(at, a.len())
	}
}

// aluOf maps a BPF ALU operation (or an atomic's) to its amd64 group-1
// operation.
func aluOf(op uint8) byte {
	switch op {
	case bpfvm.AluADD:
		return aluAdd
	case bpfvm.AluSUB:
		return aluSub
	case bpfvm.AluOR:
		return aluOr
	case bpfvm.AluAND:
		return aluAnd
	}
	return aluXor
}
