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
		case imm == 0: // the zeroing idiom (no flag is live between instructions)
			a.aluRR(aluXor, false, d, d)
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

// lowerFused emits, for a 64-bit register move rX = rY at i followed in
// its block by rX += imm or rX += rZ, both as one lea, and marks the
// second done (compiler.fused); it reports whether it did. Nothing can
// exit between two ALU instructions, and the second is not a block
// start, so no code enters or leaves between them; the flags lea leaves
// unset are never live between BPF instructions.
func (c *compiler) lowerFused(i int, in bpfvm.Insn) bool {
	if in.Op != bpfvm.ClassALU64|bpfvm.SrcX|bpfvm.AluMOV || in.Off != 0 || in.Dst == in.Src || in.Src > 10 || in.Dst > 9 {
		return false
	}
	j := i + 1
	if j >= c.n || c.leader[j] || !c.valid[j] {
		return false
	}
	nx := c.p.Insns[j]
	if nx.Dst != in.Dst || nx.Off != 0 {
		return false
	}
	d, s := regMap[in.Dst], regMap[in.Src]
	switch nx.Op {
	case bpfvm.ClassALU64 | bpfvm.SrcK | bpfvm.AluADD:
		c.a.lea(d, m(s, nx.Imm))
	case bpfvm.ClassALU64 | bpfvm.SrcX | bpfvm.AluADD:
		if nx.Src > 10 {
			return false
		}
		z := regMap[nx.Src]
		if nx.Src == in.Dst {
			z = s // rX += rX after rX = rY: rY + rY
		}
		c.a.lea(d, mi(s, z, 1, 0))
	default:
		return false
	}
	c.fused = j
	return true
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
// INT_MIN/-1 = INT_MIN, INT_MIN%-1 = 0. Unsigned and signed 32-bit forms
// divide in double precision when they can (lowerFPDiv); signed 64-bit
// forms use amd64 idiv (divInt).
func (c *compiler) lowerDiv(in bpfvm.Insn, w, x bool, d, s byte, mod, signed bool) {
	if !signed || !w {
		c.lowerFPDiv(in, w, x, d, s, mod, signed)
		return
	}
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
	a.aluRI(aluCmp, w, tmp, -1)
	notm1 := a.jcc(ccNE)
	if mod {
		a.aluRR(aluXor, false, d, d)
	} else {
		a.neg(w, d)
	}
	done = append(done, a.jmp())
	a.patch(notm1, a.len())
	c.divInt(w, d, mod, true)
	done = append(done, a.jmp())
	a.patch(zero, a.len())
	c.divByZero(w, d, mod)
	for _, at := range done {
		a.patch(at, a.len())
	}
}

// divByZero gives d the result of a division by zero.
func (c *compiler) divByZero(w bool, d byte, mod bool) {
	switch {
	case !mod:
		c.a.aluRR(aluXor, false, d, d)
	case !w:
		c.a.movRR(false, d, d)
	}
}

// divInt: d = d / r11 or d % r11 by amd64 div or idiv; the divisor is
// not 0 (nor -1 when signed). div uses rax and rdx (BPF r0 and r3),
// saved around it in rcx and state.spill.
func (c *compiler) divInt(w bool, d byte, mod, signed bool) {
	a := &c.a
	a.movRR(true, tmpC, rax)
	a.store(8, m(regState, stSpill), rdx)
	a.movRR(w, rax, d)
	if signed {
		a.signExtendAX(w)
		a.idiv(w, tmp)
	} else {
		a.aluRR(aluXor, false, rdx, rdx)
		a.div(w, tmp)
	}
	if mod {
		a.movRR(true, tmp, rdx)
	} else {
		a.movRR(true, tmp, rax)
	}
	a.movRR(true, rax, tmpC)
	a.load(8, rdx, m(regState, stSpill))
	a.movRR(w, d, tmp)
}

// fpDivBits: unsigned operands below 2^fpDivBits divide exactly in double
// precision (see divFP).
const fpDivBits = 52

// lowerFPDiv emits unsigned division and modulo and the signed 32-bit
// forms: in double precision when both operands are below 2^52 in
// magnitude (always in 32-bit forms), else by the 64-bit div. The 64-bit
// div and division by zero are out of line (compiler.cold), so the common
// case runs without a taken jump.
func (c *compiler) lowerFPDiv(in bpfvm.Insn, w, x bool, d, s byte, mod, signed bool) {
	a := &c.a
	v := uint64(uint32(in.Imm)) // the divisor when !x
	switch {
	case w:
		v = uint64(int64(in.Imm))
	case signed:
		v = uint64(int64(in.Imm)) // sign-extended for the conversion
	}
	if !x && v == 0 {
		c.divByZero(w, d, mod)
		return
	}
	zero := -1
	if x {
		a.testRR(w, s, s)
		zero = a.jcc(ccE)
	}
	wide := -1
	switch {
	case w && !x && v>>fpDivBits != 0: // a divisor of 2^52 or more
		a.movRI(tmp, v)
		c.divInt(true, d, mod, false)
	case w:
		a.movRR(true, tmp, d)
		if x {
			a.aluRR(aluOr, true, tmp, s)
		}
		a.shiftRI(shShr, true, tmp, fpDivBits)
		wide = a.jcc(ccNE)
		fallthrough
	default:
		c.divFP(w, x, d, s, v, mod, signed)
	}
	// the rare cases out of line, after the program's code
	back := a.len()
	c.cold = append(c.cold, func() {
		if wide >= 0 {
			a.patch(wide, a.len())
			if x {
				a.movRR(true, tmp, s)
			} else {
				a.movRI(tmp, v)
			}
			c.divInt(true, d, mod, false)
			a.patch(a.jmp(), back)
		}
		if zero >= 0 {
			a.patch(zero, a.len())
			c.divByZero(w, d, mod)
			a.patch(a.jmp(), back)
		}
	})
}

// divFP: d = d / b or d % b, b = s (x) or v, not 0, in double precision:
// q = trunc(double(a) / double(b)), and a - q*b for the remainder. The
// operands are unsigned and below 2^52, or (32-bit forms) the low halves
// of d and b, sign-extended when signed. It leaves rax and rdx alone and
// its divide is cheaper than div's.
//
// Exact: a and b convert exactly (below 2^53 in magnitude). Let x = a/b
// (real), q = trunc(x) the integer quotient, and f the double divsd
// returns, x rounded in any rounding mode: |f - x| < ulp(x) <= 2^-52 *
// |x| <= 2^-52 * |a| / |b| < 1/|b|, as |a| < 2^52. For x >= 0: if x = q,
// x is a double (below 2^52 in magnitude) and f = q; otherwise q < x <= q
// + 1 - 1/|b| (a = q*b + r, 0 < r < |b|), so f < x + 1/|b| <= q + 1, and f
// >= q because q is a double and rounding is monotone: q <= f < q + 1.
// For x < 0 the same argument on the other side gives q - 1 < f <= q. In
// both cases cvttsd2si (truncation toward zero) gives q. Signed 32-bit
// INT_MIN / -1 gives q = 2^31, whose low half is INT_MIN, and INT_MIN -
// 2^31 * -1 = 0 in 32 bits: RFC 9669's results without a test.
func (c *compiler) divFP(w, x bool, d, s byte, v uint64, mod, signed bool) {
	a := &c.a
	// r = the 32-bit form's operand in r, as a 64-bit value
	widen := func(dst, r byte) {
		if signed {
			a.movsxRR(true, 32, dst, r)
		} else {
			a.movRR(false, dst, r)
		}
	}
	a.xorpsZero(0) // cvtsi2sd writes only the low half: no dependency
	a.xorpsZero(1) // on the registers' last values
	if w {
		a.cvtsi2sd(0, d)
	} else {
		widen(tmpC, d)
		a.cvtsi2sd(0, tmpC)
	}
	switch {
	case !x:
		a.movRI(tmp, v)
		a.cvtsi2sd(1, tmp)
	case w:
		a.cvtsi2sd(1, s)
	default:
		widen(tmp, s)
		a.cvtsi2sd(1, tmp)
	}
	a.divsd(0, 1)
	a.cvttsd2si(tmp, 0)
	if !mod {
		a.movRR(w, d, tmp)
		return
	}
	// the remainder: a - q*b (in 32 bits for 32-bit forms)
	if x {
		a.imulRR(w, tmp, s)
	} else {
		a.imulRI(w, tmp, int32(v))
	}
	a.aluRR(aluSub, w, d, tmp)
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
