package verifier

import (
	"math"
	"math/bits"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// step checks instruction pc in state st and applies its effect. It returns
// the next instruction, or done when the path ended (exit, pruned callback).
func (v *verifier) step(st *vstate, pc int) (next int, done bool, err error) {
	in := v.prog.Insns[pc]
	switch in.Class() {
	case bpfvm.ClassALU, bpfvm.ClassALU64:
		return pc + 1, false, v.checkALU(st, pc, in)
	case bpfvm.ClassLDX:
		return pc + 1, false, v.checkLoad(st, pc, in)
	case bpfvm.ClassST, bpfvm.ClassSTX:
		if in.Op&0xe0 == bpfvm.ModeATOMIC {
			return pc + 1, false, v.checkAtomic(st, pc, in)
		}
		return pc + 1, false, v.checkStore(st, pc, in)
	case bpfvm.ClassLD:
		return pc + 2, false, v.checkLdImm64(st, pc, in)
	}
	// jumps
	v.jmps++
	switch in.Op & 0xf0 {
	case bpfvm.JmpJA:
		return jumpTarget(in, pc), false, nil
	case bpfvm.JmpEXIT:
		return v.checkExit(st, pc)
	case bpfvm.JmpCALL:
		return v.checkCall(st, pc, in)
	case bpfvm.JmpJCOND:
		// may_goto: the runtime counter bounds the loop; explore both ways.
		// As check_cond_jmp_op (BPF_JCOND), the current path takes the
		// jump (the loop's exit) first and the fall-through, one
		// iteration deeper and widened, is queued: the exit explored with
		// what the loop has not yet set (uninitialised slots, unknown
		// scalars) is the more general state, which then prunes the
		// later iterations' exits (scx's sdt_alloc: lv_pos[] of
		// desc_find_empty)
		body := v.push(st, pc+1)
		body.mayGotoDepth++
		v.widenAtLoopHead(body, pc, 0)
		return jumpTarget(in, pc), false, nil
	}
	return v.checkCondJmp(st, pc, in)
}

// readReg checks that register r may be read (check_reg_arg SRC_OP).
func (v *verifier) readReg(st *vstate, pc int, r uint8) (*regState, error) {
	reg := &st.cur().regs[r]
	if reg.typ == notInit {
		return nil, v.errorState(st, pc, "R%d !read_ok", r)
	}
	return reg, nil
}

func (v *verifier) writeReg(st *vstate, pc int, r uint8) error {
	if r == 10 {
		return v.errorState(st, pc, "frame pointer is read only")
	}
	return nil
}

// ---- ALU ----

var aluName = map[uint8]string{
	bpfvm.AluADD: "+=", bpfvm.AluSUB: "-=", bpfvm.AluMUL: "*=", bpfvm.AluDIV: "/=",
	bpfvm.AluOR: "|=", bpfvm.AluAND: "&=", bpfvm.AluLSH: "<<=", bpfvm.AluRSH: ">>=",
	bpfvm.AluNEG: "neg", bpfvm.AluMOD: "%=", bpfvm.AluXOR: "^=", bpfvm.AluMOV: "=",
	bpfvm.AluARSH: "s>>=", bpfvm.AluEND: "endian",
}

// evalALU computes an ALU instruction on concrete values (RFC 9669).
func evalALU(in bpfvm.Insn, is64 bool, dst, src uint64) uint64 {
	op := in.Op & 0xf0
	if !is64 {
		dst, src = uint64(uint32(dst)), uint64(uint32(src))
	}
	var r uint64
	sdiv := in.Off == 1
	switch op {
	case bpfvm.AluADD:
		r = dst + src
	case bpfvm.AluSUB:
		r = dst - src
	case bpfvm.AluMUL:
		r = dst * src
	case bpfvm.AluDIV:
		if src == 0 {
			r = 0
		} else if sdiv {
			if is64 {
				a, b := int64(dst), int64(src)
				if b == -1 {
					r = uint64(-a)
				} else {
					r = uint64(a / b)
				}
			} else {
				a, b := int32(uint32(dst)), int32(uint32(src))
				if b == -1 {
					r = uint64(uint32(-a))
				} else {
					r = uint64(uint32(a / b))
				}
			}
		} else {
			r = dst / src
		}
	case bpfvm.AluMOD:
		if src == 0 {
			r = dst
		} else if sdiv {
			if is64 {
				a, b := int64(dst), int64(src)
				if b == -1 {
					r = 0
				} else {
					r = uint64(a % b)
				}
			} else {
				a, b := int32(uint32(dst)), int32(uint32(src))
				if b == -1 {
					r = 0
				} else {
					r = uint64(uint32(a % b))
				}
			}
		} else {
			r = dst % src
		}
	case bpfvm.AluOR:
		r = dst | src
	case bpfvm.AluAND:
		r = dst & src
	case bpfvm.AluXOR:
		r = dst ^ src
	case bpfvm.AluLSH:
		if is64 {
			r = dst << (src & 63)
		} else {
			r = dst << (src & 31)
		}
	case bpfvm.AluRSH:
		if is64 {
			r = dst >> (src & 63)
		} else {
			r = uint64(uint32(dst) >> (src & 31))
		}
	case bpfvm.AluARSH:
		if is64 {
			r = uint64(int64(dst) >> (src & 63))
		} else {
			r = uint64(uint32(int32(uint32(dst)) >> (src & 31)))
		}
	case bpfvm.AluNEG:
		r = -dst
	case bpfvm.AluMOV:
		r = src
		switch in.Off {
		case 8:
			r = uint64(int64(int8(src)))
		case 16:
			r = uint64(int64(int16(src)))
		case 32:
			r = uint64(int64(int32(src)))
		}
	case bpfvm.AluEND:
		r = dst
		if is64 || in.Op&bpfvm.SrcX != 0 { // bswap / to big endian
			switch in.Imm {
			case 16:
				r = uint64(bits.ReverseBytes16(uint16(dst)))
			case 32:
				r = uint64(bits.ReverseBytes32(uint32(dst)))
			case 64:
				r = bits.ReverseBytes64(dst)
			}
		} else {
			switch in.Imm {
			case 16:
				r = dst & 0xffff
			case 32:
				r = dst & 0xffffffff
			}
		}
		return r
	}
	if !is64 {
		r = uint64(uint32(r))
	}
	return r
}

func (v *verifier) checkALU(st *vstate, pc int, in bpfvm.Insn) error {
	f := st.cur()
	op := in.Op & 0xf0
	is64 := in.Class() == bpfvm.ClassALU64
	width := 32
	if is64 {
		width = 64
	}
	if err := v.writeReg(st, pc, in.Dst); err != nil {
		if op != bpfvm.AluMOV {
			if _, e := v.readReg(st, pc, in.Dst); e != nil {
				return e
			}
		}
		return err
	}
	// source operand
	var src regState
	if op == bpfvm.AluEND || op == bpfvm.AluNEG {
		src = constScalar(0)
	} else if in.Op&bpfvm.SrcX != 0 {
		s, err := v.readReg(st, pc, in.Src)
		if err != nil {
			return err
		}
		src = *s
	} else {
		if is64 {
			src = constScalar(uint64(int64(in.Imm)))
		} else {
			src = constScalar(uint64(uint32(in.Imm)))
		}
		if (op == bpfvm.AluDIV || op == bpfvm.AluMOD) && in.Imm == 0 {
			return v.errorState(st, pc, "div by zero")
		}
		if (op == bpfvm.AluLSH || op == bpfvm.AluRSH || op == bpfvm.AluARSH) && (in.Imm < 0 || int(in.Imm) >= width) {
			return v.errorState(st, pc, "invalid shift %d", in.Imm)
		}
	}
	dst := &f.regs[in.Dst]
	if op == bpfvm.AluMOV {
		if imm, ok := v.arenaCast(pc, in); ok {
			return v.checkArenaCast(st, pc, imm, dst)
		}
		return v.checkMov(st, pc, in, is64, dst, &src)
	}
	if dst.typ == ptrToArena || src.typ == ptrToArena {
		// any arithmetic on arena pointers; the result stays one (the
		// kernel's arena pointers are 32-bit offsets into the arena)
		if dst.typ != ptrToArena {
			*dst = src
		}
		return nil
	}
	if dst.typ == notInit {
		return v.errorState(st, pc, "R%d !read_ok", in.Dst)
	}
	if (op == bpfvm.AluNEG || op == bpfvm.AluEND) && dst.isPtr() {
		// a negated or byte-swapped pointer is a meaningless number,
		// allowed to a privileged program (check_alu_op: with
		// allow_ptr_leaks the destination becomes unknown)
		if v.env.Unprivileged {
			return v.errorState(st, pc, "R%d pointer arithmetic prohibited", in.Dst)
		}
		// (whatever the width: DST_OP's mark_reg_unknown)
		*dst = unknownScalar()
		return nil
	}
	if dst.isPtr() || src.isPtr() {
		return v.pointerALU(st, pc, in, is64, dst, &src)
	}
	// scalar op scalar
	if (op == bpfvm.AluLSH || op == bpfvm.AluRSH || op == bpfvm.AluARSH) && src.umax >= uint64(width) {
		// is_safe_to_compute_dst_reg_range (verifier.c 6.12): a shift by
		// the width or more is undefined; the result is unknown
		*dst = unknownScalar()
		if !is64 {
			res := unknownBounds()
			res.varOff = tnumCast(tnumUnknown, 4)
			res.umax = math.MaxUint32
			res.sync()
			*dst = makeScalar(res)
		}
		return nil
	}
	if dst.isConst() && src.isConst() {
		*dst = constScalar(evalALU(in, is64, dst.varOff.value, src.varOff.value))
		return nil
	}
	var res bounds
	ok := false
	switch op {
	case bpfvm.AluNEG:
		res, ok = aluScalar(bpfvm.AluSUB, width, constBounds(0), dst.bounds)
	case bpfvm.AluDIV, bpfvm.AluMOD:
		res, ok = divModBounds(in, width, dst.bounds, src.bounds)
	case bpfvm.AluEND:
		if !is64 && in.Op&bpfvm.SrcX == 0 && in.Imm != 64 {
			mask := uint64(0xffff)
			if in.Imm == 32 {
				mask = 0xffffffff
			}
			res, ok = aluScalar(bpfvm.AluAND, 64, dst.bounds, constBounds(mask))
		} else if !is64 && in.Op&bpfvm.SrcX == 0 {
			res, ok = dst.bounds, true
		}
	default:
		res, ok = aluScalar(op, width, dst.bounds, src.bounds)
	}
	if !ok {
		res = unknownBounds()
		if !is64 {
			res.varOff = tnumCast(tnumUnknown, 4)
			res.umax = math.MaxUint32
			res.sync()
		}
	}
	id, off := linkedAdd(v.env.Unprivileged, op, is64, dst, &src)
	*dst = makeScalar(res)
	dst.id, dst.off = id, off
	return nil
}

// linkedAdd keeps a scalar linked to its copies through rX += c, with c in
// [0, S32_MAX] (adjust_reg_min_max_vals's BPF_ADD_CONST in 6.12, privileged
// programs only): the register then holds the value of its copies plus off,
// so that a bounds check of one bounds the others (setScalar). One constant
// offset per register: a second addition breaks the link, as in the kernel.
func linkedAdd(unpriv bool, op uint8, is64 bool, dst, src *regState) (uint32, int32) {
	if unpriv || op != bpfvm.AluADD || !is64 || dst.id == 0 || dst.off != 0 || !src.isConst() ||
		src.varOff.value > math.MaxInt32 {
		return 0, 0
	}
	return dst.id, int32(src.varOff.value)
}

// divModBounds tracks unsigned division and modulo by a known non-zero
// divisor (newer kernels do the same); everything else is unknown.
func divModBounds(in bpfvm.Insn, width int, d, s bounds) (bounds, bool) {
	if in.Off != 0 || !s.isConst() {
		return bounds{}, false
	}
	c := s.varOff.value
	lo, hi := d.umin, d.umax
	if width == 32 {
		c = uint64(uint32(c))
		lo, hi = uint64(d.u32min), uint64(d.u32max)
	}
	if c == 0 {
		return bounds{}, false
	}
	var r bounds
	if in.Op&0xf0 == bpfvm.AluDIV {
		r = rangeBounds(lo/c, hi/c)
	} else {
		r = rangeBounds(0, min(hi, c-1))
	}
	return r, true
}

func (v *verifier) checkMov(st *vstate, pc int, in bpfvm.Insn, is64 bool, dst, src *regState) error {
	if in.Op&bpfvm.SrcX == 0 {
		*dst = *src
		return nil
	}
	if is64 && in.Off == 0 {
		if src.typ == scalarValue && src.id == 0 && !src.isConst() {
			src.id = v.newID()
			st.cur().regs[in.Src].id = src.id
		}
		*dst = *src
		return nil
	}
	if src.isPtr() {
		// a sign-extended or 32-bit copy of a pointer is a meaningless
		// number, allowed to a privileged program (check_alu_op's BPF_MOV:
		// is_pointer_value is false with allow_ptr_leaks, the result is
		// mark_reg_unknown, zero-extended for a 32-bit move)
		switch {
		case v.env.Unprivileged && is64:
			return v.errorState(st, pc, "R%d sign-extension part of pointer", in.Src)
		case v.env.Unprivileged:
			return v.errorState(st, pc, "R%d partial copy of pointer", in.Src)
		case is64:
			*dst = unknownScalar()
		default:
			*dst = makeScalar(rangeBounds(0, math.MaxUint32))
		}
		return nil
	}
	if src.isConst() {
		*dst = constScalar(evalALU(in, is64, 0, src.varOff.value))
		return nil
	}
	var res bounds
	switch {
	case is64: // movsx 8/16/32
		k := uint(in.Off)
		lo, hi := -(int64(1) << (k - 1)), int64(1)<<(k-1)-1
		if src.smin >= lo && src.smax <= hi {
			res = src.bounds
		} else if mn, mx, ok := sextRange(src.smin, src.smax, k); ok {
			res = unknownBounds()
			res.smin, res.smax = mn, mx
			res.umin, res.umax = uint64(mn), uint64(mx)
			res.varOff = tnumRange(uint64(mn), uint64(mx))
			res.sync()
		} else {
			res = unknownBounds()
			res.smin, res.smax = lo, hi
			res.sync()
		}
	case in.Off == 0 && src.umax <= math.MaxUint32:
		// w = w of a value that fits in 32 bits is the value itself: the
		// two are linked, as check_alu_op's BPF_MOV32 links them when
		// get_reg_width(src) <= 32 (a bounds check of one bounds the
		// other: scx_rusty's create_dom(dom_id))
		if src.id == 0 {
			src.id = v.newID()
			st.cur().regs[in.Src].id = src.id
		}
		*dst = *src
		return nil
	case in.Off == 0: // w = w: zero-extend
		res = src.bounds
		res.zext32()
		res.s32min, res.s32max, res.u32min, res.u32max = src.s32min, src.s32max, src.u32min, src.u32max
		res.sync()
	default: // movsx 8/16 into 32 bits, zero-extended
		k := uint(in.Off)
		lo, hi := -(int64(1) << (k - 1)), int64(1)<<(k-1)-1
		res = unknownBounds()
		res.varOff = tnumCast(tnumUnknown, 4)
		if int64(src.s32min) >= lo && int64(src.s32max) <= hi {
			res.s32min, res.s32max = src.s32min, src.s32max
		} else if mn, mx, ok := sextRange(int64(uint32(src.s32min)), int64(uint32(src.s32max)), k); ok && uint32(src.s32min) <= uint32(src.s32max) {
			res.s32min, res.s32max = int32(mn), int32(mx)
			res.u32min, res.u32max = uint32(mn), uint32(mx)
			res.varOff = tnumRange(uint64(uint32(mn)), uint64(uint32(mx)))
		} else {
			res.s32min, res.s32max = int32(lo), int32(hi)
		}
		res.update32()
		res.deduce32()
		res.zext32()
		res.sync()
	}
	*dst = makeScalar(res)
	return nil
}

// sextRange is the range of the k-bit sign extension of a value in
// [lo, hi] when all of them have the same bits above the low k (so the low
// k bits run from those of lo to those of hi) and the two ends extend to
// the same sign (coerce_reg_to_size_sx, coerce_subreg_to_size_sx).
func sextRange(lo, hi int64, k uint) (mn, mx int64, ok bool) {
	if lo > hi || uint64(lo)>>k != uint64(hi)>>k {
		return 0, 0, false
	}
	sh := 64 - k
	a, b := int64(uint64(lo)<<sh)>>sh, int64(uint64(hi)<<sh)>>sh
	mn, mx = min(a, b), max(a, b)
	if (mn >= 0) != (mx >= 0) {
		return 0, 0, false
	}
	return mn, mx, true
}

// mapModelled rejects, as not modelled, a reference to a map of a type
// schedsim does not simulate, or to a map-in-map of such maps: the loader
// gives it an empty placeholder (bpfvm.MapTypeModelled), whose rules
// (check_map_func_compatibility...) are not modelled either.
func (v *verifier) mapModelled(st *vstate, pc int, ms *bpfvm.MapSpec) error {
	if !bpfvm.MapTypeModelled(ms.Type) {
		return v.notModelled(st, pc, "map %s of type %s is not modelled", ms.Name, ms.Type)
	}
	if ms.Inner != nil && !bpfvm.MapTypeModelled(ms.Inner.Type) {
		return v.notModelled(st, pc, "map %s of %s maps is not modelled", ms.Name, ms.Inner.Type)
	}
	return nil
}

const maxVarOff = 1 << 29 // BPF_MAX_VAR_OFF

// pointerALU is adjust_ptr_min_max_vals for the privileged case.
func (v *verifier) pointerALU(st *vstate, pc int, in bpfvm.Insn, is64 bool, dst, src *regState) error {
	op := in.Op & 0xf0
	if !is64 {
		if op == bpfvm.AluSUB {
			*dst = makeScalar(rangeBounds(0, math.MaxUint32))
			return nil
		}
		return v.errorState(st, pc, "R%d 32-bit pointer arithmetic prohibited", in.Dst)
	}
	if dst.isPtr() && src.isPtr() {
		// the difference of any two pointers, even possibly-NULL ones,
		// is a number: allowed to a privileged program
		// (adjust_reg_min_max_vals with allow_ptr_leaks)
		if op == bpfvm.AluSUB && !v.env.Unprivileged {
			*dst = unknownScalar()
			return nil
		}
		return v.errorState(st, pc, "R%d pointer %s pointer prohibited", in.Dst, aluName[op])
	}
	// the order of adjust_ptr_min_max_vals (verifier.c 6.12): NULL, the
	// pointer's type, the offset's sanity, then the operator
	ptr, off := dst, src
	if !dst.isPtr() {
		ptr, off = src, dst
	}
	tn := v.typeName(ptr)
	if ptr.mayBeNull() {
		return v.errorState(st, pc, "R%d pointer arithmetic on %s prohibited, null-check it first", in.Dst, tn)
	}
	switch ptr.typ {
	case constPtrToMap:
		// a map pointer plus a known 0 stays
		if op == bpfvm.AluADD && off.isConst() && off.varOff.value == 0 {
			*dst = *ptr
			return nil
		}
		return v.errorState(st, pc, "R%d pointer arithmetic on %s prohibited", in.Dst, tn)
	case ptrToFunc:
		return v.errorState(st, pc, "R%d pointer arithmetic on %s prohibited", in.Dst, tn)
	}
	if off.isConst() {
		c := int64(off.varOff.value)
		if c >= maxVarOff || c <= -maxVarOff {
			return v.errorState(st, pc, "math between %s pointer and %d is not allowed", tn, c)
		}
	} else {
		if off.smin == math.MinInt64 {
			return v.errorState(st, pc, "math between %s pointer and register with unbounded min value is not allowed", tn)
		}
		if off.smin >= maxVarOff || off.smin <= -maxVarOff {
			return v.errorState(st, pc, "value %d makes %s pointer be out of bounds", off.smin, tn)
		}
	}
	switch op {
	case bpfvm.AluADD:
	case bpfvm.AluSUB:
		if !dst.isPtr() {
			return v.errorState(st, pc, "R%d tried to subtract pointer from scalar", in.Dst)
		}
		if ptr.typ == ptrToStack {
			// JITs may not cope
			return v.errorState(st, pc, "R%d subtraction from stack pointer prohibited", in.Dst)
		}
	case bpfvm.AluAND, bpfvm.AluOR, bpfvm.AluXOR:
		return v.errorState(st, pc, "R%d bitwise operator %s on pointer prohibited", in.Dst, aluName[op])
	default:
		return v.errorState(st, pc, "R%d pointer arithmetic with %s operator prohibited", in.Dst, aluName[op])
	}
	// the pointer's bounds rely on the scalar's
	if off.typ == scalarValue {
		if dst.isPtr() {
			if in.Op&bpfvm.SrcX != 0 {
				v.markPrecise(st, int(in.Src))
			}
		} else {
			v.markPrecise(st, int(in.Dst))
		}
	}
	res := *ptr
	if off.isConst() {
		c := int64(off.varOff.value)
		if op == bpfvm.AluSUB {
			c = -c
		}
		n := int64(res.off) + c
		if n >= maxVarOff || n <= -maxVarOff {
			return v.errorState(st, pc, "%s pointer offset %d is not allowed", tn, n)
		}
		res.off = int32(n)
	} else {
		b, ok := aluScalar(op, 64, ptr.bounds, off.bounds)
		if !ok {
			b = unknownBounds()
		}
		res.bounds = b
	}
	*dst = res
	return nil
}

// arenaCast reports whether the MOV at pc is an addr_space_cast, raw
// (Off 1) or as the loader rewrote it (Program.ArenaCasts), and its Imm.
func (v *verifier) arenaCast(pc int, in bpfvm.Insn) (int32, bool) {
	if in.Class() == bpfvm.ClassALU64 && in.Op&bpfvm.SrcX != 0 && in.Off == 1 {
		return in.Imm, true
	}
	for _, c := range v.prog.ArenaCasts {
		if c.PC == pc {
			return c.Imm, true
		}
	}
	return 0, false
}

// checkArenaCast is addr_space_cast (check_alu_op, verifier.c 6.12): from
// address space 1 (user) to 0 the result is an arena pointer; the other
// way a number.
func (v *verifier) checkArenaCast(st *vstate, pc int, imm int32, dst *regState) error {
	if imm != 1 && imm != 1<<16 {
		return v.errorState(st, pc, "addr_space_cast insn can only convert between address space 1 and 0")
	}
	hasArena := false
	for _, ms := range v.maps {
		hasArena = hasArena || ms != nil && ms.Type == bpfvm.MapArena
	}
	if !hasArena {
		return v.errorState(st, pc, "addr_space_cast insn can only be used in a program that has an associated arena")
	}
	if imm == 1 {
		*dst = makePtr(ptrToArena)
	} else {
		*dst = unknownScalar()
	}
	return nil
}

// regNotNull is reg_not_null (verifier.c 6.12): the pointer kinds that
// are never NULL, at offsets that cannot wrap to 0. Context and stack
// pointers are not among them: a comparison of one with 0 explores both
// branches, as the kernel does.
func regNotNull(r *regState) bool {
	if r.mayBeNull() || r.smin <= -maxVarOff || r.smax >= maxVarOff {
		return false
	}
	switch r.typ {
	case ptrToMapValue, ptrToMem, constPtrToMap:
		return true
	case ptrToBTFID:
		// is_trusted_reg: referenced, or trusted/allocated/non-owning
		// without other modifiers
		return r.refID != 0 || r.flags&(flagTrusted|flagAlloc|flagNonOwn) != 0 && r.flags&(flagUntrusted|flagRCU) == 0
	}
	return false
}

// ---- LD_IMM64 ----

func (v *verifier) checkLdImm64(st *vstate, pc int, in bpfvm.Insn) error {
	if err := v.writeReg(st, pc, in.Dst); err != nil {
		return err
	}
	hi := v.prog.Insns[pc+1].Imm
	dst := &st.cur().regs[in.Dst]
	switch in.Src {
	case 0:
		*dst = constScalar(uint64(uint32(in.Imm)) | uint64(uint32(hi))<<32)
	case bpfvm.PseudoBTFID:
		*dst = v.ksymReg(pc, uint64(uint32(in.Imm))|uint64(uint32(hi))<<32)
	case bpfvm.PseudoMapIdx:
		ms := v.mapSpec(int(in.Imm))
		if ms == nil {
			return v.errorState(st, pc, "map index %d is not pointing to a valid map", in.Imm)
		}
		if err := v.mapModelled(st, pc, ms); err != nil {
			return err
		}
		*dst = makePtr(constPtrToMap)
		dst.mapIdx = in.Imm
	case bpfvm.PseudoMapIdxValue:
		ms := v.mapSpec(int(in.Imm))
		if ms == nil {
			return v.errorState(st, pc, "map index %d is not pointing to a valid map", in.Imm)
		}
		if err := v.mapModelled(st, pc, ms); err != nil {
			return err
		}
		if ms.Type != bpfvm.MapArray && ms.Type != bpfvm.MapArena {
			return v.errorState(st, pc, "direct value access on map '%s' of type %d is not allowed", ms.Name, ms.Type)
		}
		if hi < 0 || uint32(hi) >= max(ms.ValueSize, 1) && !(hi == 0) {
			return v.errorState(st, pc, "invalid access to map value pointer, value_size=%d off=%d", ms.ValueSize, uint32(hi))
		}
		*dst = makePtr(ptrToMapValue)
		dst.mapIdx = in.Imm
		dst.off = hi
	case bpfvm.PseudoFunc:
		*dst = makePtr(ptrToFunc)
		dst.subprog = int32(pc + 1 + int(in.Imm))
	}
	return nil
}

// ---- conditional jumps ----

func (v *verifier) checkCondJmp(st *vstate, pc int, in bpfvm.Insn) (int, bool, error) {
	f := st.cur()
	op := in.Op & 0xf0
	jmp32 := in.Class() == bpfvm.ClassJMP32
	target := jumpTarget(in, pc)
	dst, err := v.readReg(st, pc, in.Dst)
	if err != nil {
		return 0, false, err
	}
	var src regState
	srcReg := -1
	if in.Op&bpfvm.SrcX != 0 {
		s, err := v.readReg(st, pc, in.Src)
		if err != nil {
			return 0, false, err
		}
		src = *s
		srcReg = int(in.Src)
	} else if jmp32 {
		src = constScalar(uint64(uint32(in.Imm)))
	} else {
		src = constScalar(uint64(int64(in.Imm)))
	}

	// pointer comparisons: null checks, or no information
	if dst.isPtr() || src.isPtr() {
		ptrIsDst := dst.isPtr()
		other := &src
		ptr := dst
		if !ptrIsDst {
			ptr, other = &src, dst
		}
		if (op == bpfvm.JmpJEQ || op == bpfvm.JmpJNE) && !jmp32 && !other.isPtr() && other.isNullConst() {
			if ptrIsDst && srcReg >= 0 {
				v.markPrecise(st, srcReg)
			} else if !ptrIsDst {
				v.markPrecise(st, int(in.Dst))
			}
			if ptr.mayBeNull() {
				// null check: the taken branch of JEQ has ptr == NULL
				other := v.push(st, target)
				nullInBranch := op == bpfvm.JmpJEQ
				v.markPtrOrNull(other, ptr.id, nullInBranch)
				v.markPtrOrNull(st, ptr.id, !nullInBranch)
				return pc + 1, false, nil
			}
			if regNotNull(ptr) {
				// a non-null pointer is never 0
				if op == bpfvm.JmpJEQ {
					return pc + 1, false, nil
				}
				return target, false, nil
			}
		}
		v.push(st, target)
		return pc + 1, false, nil
	}

	// scalar comparison: refine both branches, drop impossible ones
	if dst.id != 0 || srcReg >= 0 && src.id != 0 {
		v.noteLinks(st, dst.id, src.id)
	}
	tDst, tSrc := *dst, src
	refine(&tDst.bounds, &tSrc.bounds, op, jmp32)
	fDst, fSrc := *dst, src
	refine(&fDst.bounds, &fSrc.bounds, negateJmp(op), jmp32)
	takenOK := tDst.bounds.sane() && tSrc.bounds.sane()
	fallOK := fDst.bounds.sane() && fSrc.bounds.sane()
	if !takenOK || !fallOK {
		// a branch decided by the ranges relies on them
		v.markPrecise(st, int(in.Dst))
		if srcReg >= 0 {
			v.markPrecise(st, srcReg)
		}
	}
	if !takenOK && !fallOK {
		// both impossible can only mean the state itself is contradictory
		return pc + 1, true, nil
	}
	apply := func(s *vstate, d, sr *regState) {
		fr := s.cur()
		setScalar(s, &fr.regs[in.Dst], d.bounds)
		if srcReg >= 0 {
			setScalar(s, &fr.regs[srcReg], sr.bounds)
		}
	}
	if takenOK && fallOK {
		other := v.push(st, target)
		apply(other, &tDst, &tSrc)
		apply(st, &fDst, &fSrc)
		return pc + 1, false, nil
	}
	if takenOK {
		apply(st, &tDst, &tSrc)
		return target, false, nil
	}
	apply(st, &fDst, &fSrc)
	_ = f
	return pc + 1, false, nil
}

// setScalar narrows a scalar register and every register linked to it
// (sync_linked_regs).
// A register linked with another constant offset (linkedAdd) gets b moved
// by the difference, with the wrapping of a 64-bit addition.
func setScalar(s *vstate, r *regState, b bounds) {
	id, off := r.id, r.off
	r.bounds = b
	if id == 0 {
		return
	}
	s.forEachReg(func(o *regState) {
		if o.typ != scalarValue || o.id != id {
			return
		}
		if o.off == off {
			o.bounds = b
			return
		}
		nb, ok := aluScalar(bpfvm.AluADD, 64, b, constBounds(uint64(int64(o.off)-int64(off))))
		if !ok {
			nb = unknownBounds()
		}
		o.bounds = nb
	})
}

// markPtrOrNull applies the outcome of a null check to every copy of the
// pointer (mark_ptr_or_null_regs). A NULL acquired pointer holds no
// reference.
func (v *verifier) markPtrOrNull(s *vstate, id uint32, isNull bool) {
	if id == 0 {
		return
	}
	var ref uint32
	s.forEachReg(func(r *regState) {
		if r.isPtr() && r.id == id && r.mayBeNull() {
			if isNull {
				ref = r.refID
				*r = constScalar(0)
				return
			}
			r.flags &^= flagMaybeNull
			if r.typ == ptrToMapValue {
				// mark_ptr_not_null_reg: a non-NULL value of a
				// map-in-map is the inner map, typed by its template
				if in := v.innerTemplate(r.mapIdx); in >= 0 {
					*r = makePtr(constPtrToMap)
					r.mapIdx = in
					return
				}
			}
			if !v.mayPointToLock(r) {
				// the id only linked the copies for this check; a
				// lock's value keeps it, it names the lock
				r.id = 0
			}
		}
	})
	if isNull && ref != 0 {
		v.dropRef(s, ref)
	}
}

// mayPointToLock reports whether r points into a map value or object
// holding a lock (reg_may_point_to_spin_lock), or a tree root or list
// head, whose pointer id tells which lock is held.
func (v *verifier) mayPointToLock(r *regState) bool {
	var t btf.Type
	switch {
	case r.typ == ptrToMapValue:
		ms := v.mapSpec(int(r.mapIdx))
		if ms == nil {
			return true
		}
		t = ms.Value
	case r.typ == ptrToBTFID && r.flags&flagAlloc != 0:
		t = v.btfT(r.btfIdx)
	default:
		return false
	}
	for _, f := range v.specialFields(t) {
		switch f.kind {
		case "bpf_spin_lock", "bpf_res_spin_lock", "bpf_rb_root", "bpf_list_head":
			return true
		}
	}
	return false
}

// dropRef forgets reference ref (release_reference_state).
func (v *verifier) dropRef(s *vstate, ref uint32) bool {
	for i, r := range s.refs {
		if r.id == ref {
			s.refs = append(s.refs[:i], s.refs[i+1:]...)
			return true
		}
	}
	return false
}
