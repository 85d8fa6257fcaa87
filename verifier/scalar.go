package verifier

import (
	"math"
	"math/bits"
)

// Scalar range tracking. The representation and the deduction rules follow
// kernel/bpf/verifier.c (Linux 6.12): __update_reg_bounds,
// __reg_deduce_bounds, __reg_bound_offset, adjust_scalar_min_max_vals and
// regs_refine_cond_op. The code is our own; 32-bit operations are computed
// by running the 64-bit range arithmetic on zero-/sign-extended 32-bit
// ranges and keeping the result only when it did not wrap.

// bounds is the numeric part of a register: known bits plus signed and
// unsigned ranges of the full 64-bit value and of its low 32 bits.
type bounds struct {
	varOff         tnum
	smin, smax     int64
	umin, umax     uint64
	s32min, s32max int32
	u32min, u32max uint32
}

func unknownBounds() bounds {
	return bounds{varOff: tnumUnknown, smin: math.MinInt64, smax: math.MaxInt64,
		umin: 0, umax: math.MaxUint64, s32min: math.MinInt32, s32max: math.MaxInt32,
		u32min: 0, u32max: math.MaxUint32}
}

func constBounds(v uint64) bounds {
	return bounds{varOff: tnumConst(v), smin: int64(v), smax: int64(v), umin: v, umax: v,
		s32min: int32(uint32(v)), s32max: int32(uint32(v)), u32min: uint32(v), u32max: uint32(v)}
}

// rangeBounds returns an unknown value known to lie in [lo, hi] (unsigned).
func rangeBounds(lo, hi uint64) bounds {
	b := unknownBounds()
	b.umin, b.umax = lo, hi
	b.sync()
	return b
}

func (b *bounds) isConst() bool { return b.varOff.isConst() }

func (b *bounds) is32Const() bool { return b.varOff.subreg().isConst() }

func (b *bounds) mark64Unbounded() {
	b.smin, b.smax = math.MinInt64, math.MaxInt64
	b.umin, b.umax = 0, math.MaxUint64
}

func (b *bounds) mark32Unbounded() {
	b.s32min, b.s32max = math.MinInt32, math.MaxInt32
	b.u32min, b.u32max = 0, math.MaxUint32
}

func (b *bounds) update32() {
	v := b.varOff.subreg()
	b.s32min = max(b.s32min, int32(uint32(v.value|(v.mask&(1<<31)))))
	b.s32max = min(b.s32max, int32(uint32(v.value|(v.mask&math.MaxInt32))))
	b.u32min = max(b.u32min, uint32(v.value))
	b.u32max = min(b.u32max, uint32(v.value|v.mask))
}

func (b *bounds) update64() {
	v := b.varOff
	b.smin = max(b.smin, int64(v.value|(v.mask&(1<<63))))
	b.smax = min(b.smax, int64(v.value|(v.mask&math.MaxInt64)))
	b.umin = max(b.umin, v.value)
	b.umax = min(b.umax, v.value|v.mask)
}

func (b *bounds) deduce32() {
	if b.umin>>32 == b.umax>>32 {
		b.u32min = max(b.u32min, uint32(b.umin))
		b.u32max = min(b.u32max, uint32(b.umax))
		if int32(uint32(b.umin)) <= int32(uint32(b.umax)) {
			b.s32min = max(b.s32min, int32(uint32(b.umin)))
			b.s32max = min(b.s32max, int32(uint32(b.umax)))
		}
	}
	if b.smin>>32 == b.smax>>32 {
		if uint32(b.smin) <= uint32(b.smax) {
			b.u32min = max(b.u32min, uint32(b.smin))
			b.u32max = min(b.u32max, uint32(b.smax))
		}
		if int32(b.smin) <= int32(b.smax) {
			b.s32min = max(b.s32min, int32(b.smin))
			b.s32max = min(b.s32max, int32(b.smax))
		}
	}
	// The upper halves of the 64-bit range are two consecutive numbers
	// while the low halves go from negative to non-negative: the low
	// halves form one s32 range across the wrap.
	if uint32(b.umin>>32)+1 == uint32(b.umax>>32) && int32(uint32(b.umin)) < 0 && int32(uint32(b.umax)) >= 0 {
		b.s32min = max(b.s32min, int32(uint32(b.umin)))
		b.s32max = min(b.s32max, int32(uint32(b.umax)))
	}
	if uint32(b.smin>>32)+1 == uint32(b.smax>>32) && int32(b.smin) < 0 && int32(b.smax) >= 0 {
		b.s32min = max(b.s32min, int32(b.smin))
		b.s32max = min(b.s32max, int32(b.smax))
	}
	if int32(b.u32min) <= int32(b.u32max) {
		b.s32min = max(b.s32min, int32(b.u32min))
		b.s32max = min(b.s32max, int32(b.u32max))
	}
	if uint32(b.s32min) <= uint32(b.s32max) {
		b.u32min = max(b.u32min, uint32(b.s32min))
		b.u32max = min(b.u32max, uint32(b.s32max))
	} else if b.u32max < uint32(b.s32min) {
		// The s32 range crosses the sign boundary and the u32 range
		// overlaps only its non-negative part.
		b.s32min = int32(b.u32min)
		b.u32max = min(b.u32max, uint32(b.s32max))
	} else if uint32(b.s32max) < b.u32min {
		// ... or only its negative part.
		b.s32max = int32(b.u32max)
		b.u32min = max(b.u32min, uint32(b.s32min))
	}
}

func (b *bounds) deduce64() {
	if int64(b.umin) <= int64(b.umax) {
		b.smin = max(b.smin, int64(b.umin))
		b.smax = min(b.smax, int64(b.umax))
	}
	if uint64(b.smin) <= uint64(b.smax) {
		b.umin = max(b.umin, uint64(b.smin))
		b.umax = min(b.umax, uint64(b.smax))
	} else if b.umax < uint64(b.smin) {
		// The s64 range crosses the sign boundary ([smin, -1] and
		// [0, smax] as unsigned) and the u64 range overlaps only
		// [0, smax]. (Two overlaps tell nothing: one range per domain.)
		b.smin = int64(b.umin)
		b.umax = min(b.umax, uint64(b.smax))
	} else if uint64(b.smax) < b.umin {
		// ... or only [smin, -1].
		b.smax = int64(b.umax)
		b.umin = max(b.umin, uint64(b.smin))
	}
}

func (b *bounds) deduceMixed() {
	const hi = ^uint64(0xffffffff)
	nUmin := b.umin&hi | uint64(b.u32min)
	nUmax := b.umax&hi | uint64(b.u32max)
	b.umin = max(b.umin, nUmin)
	b.umax = min(b.umax, nUmax)
	nSmin := int64(uint64(b.smin)&hi | uint64(b.u32min))
	nSmax := int64(uint64(b.smax)&hi | uint64(b.u32max))
	b.smin = max(b.smin, nSmin)
	b.smax = min(b.smax, nSmax)
	if uint32(b.s32min) <= uint32(b.s32max) {
		nUmin = b.umin&hi | uint64(uint32(b.s32min))
		nUmax = b.umax&hi | uint64(uint32(b.s32max))
		b.umin = max(b.umin, nUmin)
		b.umax = min(b.umax, nUmax)
		nSmin = int64(uint64(b.smin)&hi | uint64(uint32(b.s32min)))
		nSmax = int64(uint64(b.smax)&hi | uint64(uint32(b.s32max)))
		b.smin = max(b.smin, nSmin)
		b.smax = min(b.smax, nSmax)
	}
	// A value in [S32_MIN, S32_MAX] whose low half is a non-negative s32
	// is that non-negative s32 (a negative one would have a negative low
	// half): the case after a sign-extending load or move.
	if b.s32min >= 0 && b.smin >= math.MinInt32 && b.smax <= math.MaxInt32 {
		b.smin, b.smax = int64(b.s32min), int64(b.s32max)
		b.umin, b.umax = uint64(b.s32min), uint64(b.s32max)
		b.varOff = tnumIntersect(b.varOff, tnumRange(b.umin, b.umax))
	}
}

func (b *bounds) boundOffset() {
	v64 := tnumIntersect(b.varOff, tnumRange(b.umin, b.umax))
	v32 := tnumIntersect(v64.subreg(), tnumRange(uint64(b.u32min), uint64(b.u32max)))
	b.varOff = tnumOr(v64.clearSubreg(), v32)
}

// sync is reg_bounds_sync: make every representation as tight as the others
// allow (__update_reg_bounds, __reg_deduce_bounds three times as the kernel
// does: __reg32_deduce_bounds, __reg64_deduce_bounds,
// __reg_deduce_mixed_bounds; __reg_bound_offset).
func (b *bounds) sync() {
	b.update32()
	b.update64()
	for round := 0; ; round++ {
		if b.empty() {
			// No value: keep it visibly so (sane reports false). The
			// deductions assume a non-empty set and could turn an
			// empty range into a full one.
			b.umin, b.umax = 1, 0
			return
		}
		if round == 3 {
			break
		}
		b.deduce32()
		b.deduce64()
		b.deduceMixed()
	}
	b.boundOffset()
	b.update32()
	b.update64()
}

// empty reports whether one of the ranges holds no value.
func (b *bounds) empty() bool {
	return b.smin > b.smax || b.umin > b.umax || b.s32min > b.s32max || b.u32min > b.u32max
}

// sane reports whether the bounds describe at least one value. An insane
// result of refining a branch means the branch cannot be taken.
func (b *bounds) sane() bool {
	if b.empty() {
		return false
	}
	v := b.varOff
	if v.value&v.mask != 0 {
		return false
	}
	if b.umin > v.value|v.mask || b.umax < v.value {
		return false
	}
	if b.isConst() {
		c := v.value
		if b.umin != c || b.umax != c || b.smin != int64(c) || b.smax != int64(c) {
			return false
		}
	}
	return true
}

// zext32 turns the 32-bit knowledge into the 64-bit value of a zero-extended
// 32-bit result (zext_32_to_64 + __reg_assign_32_into_64).
func (b *bounds) zext32() {
	b.varOff = b.varOff.subreg()
	b.umin, b.umax = uint64(b.u32min), uint64(b.u32max)
	b.smin, b.smax = int64(b.u32min), int64(b.u32max)
}

// ---- range arithmetic on 64-bit ranges ----

type urange struct{ lo, hi uint64 }
type srange struct{ lo, hi int64 }

var fullU = urange{0, math.MaxUint64}
var fullS = srange{math.MinInt64, math.MaxInt64}

func addU(a, b urange) urange {
	lo, c1 := bits.Add64(a.lo, b.lo, 0)
	hi, c2 := bits.Add64(a.hi, b.hi, 0)
	if c1 != 0 || c2 != 0 {
		return fullU
	}
	return urange{lo, hi}
}

func addS(a, b srange) srange {
	lo, ok1 := addOvf(a.lo, b.lo)
	hi, ok2 := addOvf(a.hi, b.hi)
	if !ok1 || !ok2 {
		return fullS
	}
	return srange{lo, hi}
}

func subU(a, b urange) urange {
	if a.lo < b.hi {
		return fullU
	}
	return urange{a.lo - b.hi, a.hi - b.lo}
}

func subS(a, b srange) srange {
	lo, ok1 := subOvf(a.lo, b.hi)
	hi, ok2 := subOvf(a.hi, b.lo)
	if !ok1 || !ok2 {
		return fullS
	}
	return srange{lo, hi}
}

func mulU(a, b urange) urange {
	h, l := bits.Mul64(a.hi, b.hi)
	if h != 0 {
		return fullU
	}
	return urange{a.lo * b.lo, l}
}

func mulS(a, b srange) srange {
	ps := [4][2]int64{{a.lo, b.lo}, {a.lo, b.hi}, {a.hi, b.lo}, {a.hi, b.hi}}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, p := range ps {
		r, ok := mulOvf(p[0], p[1])
		if !ok {
			return fullS
		}
		lo, hi = min(lo, r), max(hi, r)
	}
	return srange{lo, hi}
}

func addOvf(a, b int64) (int64, bool) {
	r := a + b
	return r, (r > a) == (b > 0) || b == 0
}

func subOvf(a, b int64) (int64, bool) {
	r := a - b
	return r, (r < a) == (b > 0) || b == 0
}

func mulOvf(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	r := a * b
	if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return r, true
}

// aluScalar computes dst = dst OP src on scalars for the ALU operations
// whose range can be tracked; width is 32 or 64. srcConst tells whether src
// is a known constant (shifts are only tracked by constants, like the
// kernel). It returns false when the result must be an unknown scalar.
func aluScalar(op uint8, width int, dst, src bounds) (bounds, bool) {
	var r bounds
	if width == 64 {
		du, dsr := urange{dst.umin, dst.umax}, srange{dst.smin, dst.smax}
		su, ssr := urange{src.umin, src.umax}, srange{src.smin, src.smax}
		t, ur, sr, ok := rangeOp(op, 64, dst.varOff, src.varOff, du, dsr, su, ssr)
		if !ok {
			return r, false
		}
		r = unknownBounds()
		r.varOff = t
		r.umin, r.umax = ur.lo, ur.hi
		r.smin, r.smax = sr.lo, sr.hi
		r.sync()
		return r, true
	}
	du := urange{uint64(dst.u32min), uint64(dst.u32max)}
	dsr := srange{int64(dst.s32min), int64(dst.s32max)}
	su := urange{uint64(src.u32min), uint64(src.u32max)}
	ssr := srange{int64(src.s32min), int64(src.s32max)}
	t, ur, sr, ok := rangeOp(op, 32, dst.varOff.subreg(), src.varOff.subreg(), du, dsr, su, ssr)
	if !ok {
		return r, false
	}
	r = unknownBounds()
	r.varOff = tnumCast(t, 4)
	if ur.hi <= math.MaxUint32 && ur.lo <= ur.hi {
		r.u32min, r.u32max = uint32(ur.lo), uint32(ur.hi)
	}
	if sr.lo >= math.MinInt32 && sr.hi <= math.MaxInt32 && sr.lo <= sr.hi {
		r.s32min, r.s32max = int32(sr.lo), int32(sr.hi)
	}
	r.update32()
	r.deduce32()
	r.zext32()
	r.sync()
	return r, true
}

// rangeOp is the width-generic core of aluScalar. For width 32 the inputs
// are zero-extended (unsigned) and sign-extended (signed) 32-bit ranges, and
// the tnums hold the low 32 bits.
func rangeOp(op uint8, width int, dt, st tnum, du urange, ds srange, su urange, ss srange) (tnum, urange, srange, bool) {
	maxU := uint64(math.MaxUint64)
	if width == 32 {
		maxU = math.MaxUint32
	}
	fromTnum := func(t tnum) urange { return urange{t.value, t.value | t.mask} }
	switch op {
	case 0x00: // ADD
		return tnumAdd(dt, st), addU(du, su), addS(ds, ss), true
	case 0x10: // SUB
		return tnumSub(dt, st), subU(du, su), subS(ds, ss), true
	case 0x20: // MUL
		return tnumMul(dt, st), mulU(du, su), mulS(ds, ss), true
	case 0x50: // AND
		t := tnumAnd(dt, st)
		if width == 32 {
			t = tnumCast(t, 4)
		}
		u := fromTnum(t)
		u.hi = min(u.hi, du.hi, su.hi)
		s := fullS
		if ds.lo >= 0 || ss.lo >= 0 {
			s = srange{int64(u.lo), int64(u.hi)}
			if u.hi > math.MaxInt64 {
				s = fullS
			}
		}
		return t, u, s, true
	case 0x40: // OR
		t := tnumOr(dt, st)
		if width == 32 {
			t = tnumCast(t, 4)
		}
		u := fromTnum(t)
		u.lo = max(u.lo, du.lo, su.lo)
		s := fullS
		if ds.lo >= 0 && ss.lo >= 0 && u.hi <= math.MaxInt64 {
			s = srange{int64(u.lo), int64(u.hi)}
		}
		return t, u, s, true
	case 0xa0: // XOR
		t := tnumXor(dt, st)
		if width == 32 {
			t = tnumCast(t, 4)
		}
		u := fromTnum(t)
		s := fullS
		if ds.lo >= 0 && ss.lo >= 0 && u.hi <= math.MaxInt64 {
			s = srange{int64(u.lo), int64(u.hi)}
		}
		return t, u, s, true
	case 0x60, 0x70, 0xc0: // LSH, RSH, ARSH: constant shift amounts only
		if !st.isConst() || st.value >= uint64(width) {
			return tnum{}, urange{}, srange{}, false
		}
		sh := uint8(st.value)
		switch op {
		case 0x60:
			t := dt.lsh(sh)
			if width == 32 {
				t = tnumCast(t, 4)
			}
			u := fullU
			if du.hi <= maxU>>sh {
				u = urange{du.lo << sh, du.hi << sh}
			} else if width == 32 {
				u = urange{0, math.MaxUint32}
			}
			return t, u, fullS, true
		case 0x70:
			return dt.rsh(sh), urange{du.lo >> sh, du.hi >> sh}, fullS, true
		default:
			t := dt.arsh(sh, width)
			return t, fullU, srange{ds.lo >> sh, ds.hi >> sh}, true
		}
	}
	return tnum{}, urange{}, srange{}, false
}

// ---- branch refinement ----

// Jump operations as used by refine (BPF_JEQ... plus the negation of JSET).
const jsetFalse = 0xf0

// negateJmp returns the operation that holds when the branch of op is not
// taken.
func negateJmp(op uint8) uint8 {
	switch op {
	case 0x10:
		return 0x50
	case 0x50:
		return 0x10
	case 0x20: // JGT -> JLE
		return 0xb0
	case 0xb0:
		return 0x20
	case 0x30: // JGE -> JLT
		return 0xa0
	case 0xa0:
		return 0x30
	case 0x60: // JSGT -> JSLE
		return 0xd0
	case 0xd0:
		return 0x60
	case 0x70: // JSGE -> JSLT
		return 0xc0
	case 0xc0:
		return 0x70
	case 0x40:
		return jsetFalse
	case jsetFalse:
		return 0x40
	}
	return op
}

// swapJmp returns op' such that (a op b) == (b op' a).
func swapJmp(op uint8) uint8 {
	switch op {
	case 0x20:
		return 0xa0
	case 0xa0:
		return 0x20
	case 0x30:
		return 0xb0
	case 0xb0:
		return 0x30
	case 0x60:
		return 0xc0
	case 0xc0:
		return 0x60
	case 0x70:
		return 0xd0
	case 0xd0:
		return 0x70
	}
	return op
}

// refine narrows a and b assuming (a op b) holds; jmp32 compares the low
// 32 bits. The results may be insane, meaning the condition cannot hold.
func refine(a, b *bounds, op uint8, jmp32 bool) {
	if jmp32 {
		refine32(a, b, op)
	} else {
		refine64(a, b, op)
	}
	a.sync()
	b.sync()
}

func refine64(a, b *bounds, op uint8) {
	switch op {
	case 0x10: // JEQ
		a.umin = max(a.umin, b.umin)
		a.umax = min(a.umax, b.umax)
		a.smin = max(a.smin, b.smin)
		a.smax = min(a.smax, b.smax)
		a.varOff = intersectChecked(a, a.varOff, b.varOff)
		b.umin, b.umax, b.smin, b.smax, b.varOff = a.umin, a.umax, a.smin, a.smax, a.varOff
	case 0x50: // JNE
		if !a.isConst() && b.isConst() {
			neAdjust64(a, b.varOff.value)
		} else if a.isConst() && !b.isConst() {
			neAdjust64(b, a.varOff.value)
		} else if a.isConst() && b.isConst() && a.varOff.value == b.varOff.value {
			a.umin, a.umax = 1, 0 // contradiction
		}
	case 0x40: // JSET
		if b.isConst() && bits.OnesCount64(b.varOff.value) == 1 {
			a.varOff = tnumOr(a.varOff, b.varOff)
		} else if b.isConst() && b.varOff.value != 0 && a.isConst() && a.varOff.value&b.varOff.value == 0 {
			a.umin, a.umax = 1, 0
		} else if b.isConst() && b.varOff.value == 0 {
			a.umin, a.umax = 1, 0
		}
	case jsetFalse:
		if b.isConst() {
			t := tnumAnd(a.varOff, tnumConst(^b.varOff.value))
			if a.isConst() && a.varOff.value&b.varOff.value != 0 {
				a.umin, a.umax = 1, 0
			}
			a.varOff = t
		}
	case 0x20: // JGT a > b
		if b.umin == math.MaxUint64 || a.umax == 0 {
			a.umin, a.umax = 1, 0
			return
		}
		a.umin = max(a.umin, b.umin+1)
		b.umax = min(b.umax, a.umax-1)
	case 0x30: // JGE
		a.umin = max(a.umin, b.umin)
		b.umax = min(b.umax, a.umax)
	case 0xa0: // JLT a < b
		refine64(b, a, 0x20)
	case 0xb0: // JLE
		refine64(b, a, 0x30)
	case 0x60: // JSGT
		if b.smin == math.MaxInt64 || a.smax == math.MinInt64 {
			a.umin, a.umax = 1, 0
			return
		}
		a.smin = max(a.smin, b.smin+1)
		b.smax = min(b.smax, a.smax-1)
	case 0x70: // JSGE
		a.smin = max(a.smin, b.smin)
		b.smax = min(b.smax, a.smax)
	case 0xc0:
		refine64(b, a, 0x60)
	case 0xd0:
		refine64(b, a, 0x70)
	}
}

func neAdjust64(a *bounds, c uint64) {
	if a.umin == c {
		if c == math.MaxUint64 {
			a.umin, a.umax = 1, 0
			return
		}
		a.umin++
	} else if a.umax == c {
		if c == 0 {
			a.umin, a.umax = 1, 0
			return
		}
		a.umax--
	}
	if a.smin == int64(c) {
		if a.smin == math.MaxInt64 {
			a.umin, a.umax = 1, 0
			return
		}
		a.smin++
	} else if a.smax == int64(c) {
		if a.smax == math.MinInt64 {
			a.umin, a.umax = 1, 0
			return
		}
		a.smax--
	}
}

func neAdjust32(a *bounds, c uint32) {
	if a.u32min == c {
		if c == math.MaxUint32 {
			a.u32min, a.u32max = 1, 0
			return
		}
		a.u32min++
	} else if a.u32max == c {
		if c == 0 {
			a.u32min, a.u32max = 1, 0
			return
		}
		a.u32max--
	}
	if a.s32min == int32(c) {
		if a.s32min == math.MaxInt32 {
			a.u32min, a.u32max = 1, 0
			return
		}
		a.s32min++
	} else if a.s32max == int32(c) {
		if a.s32max == math.MinInt32 {
			a.u32min, a.u32max = 1, 0
			return
		}
		a.s32max--
	}
}

// intersectChecked intersects two tnums; on conflicting known bits it
// makes a insane (the branch is impossible).
func intersectChecked(a *bounds, x, y tnum) tnum {
	if (x.value^y.value)&^(x.mask|y.mask) != 0 {
		a.umin, a.umax = 1, 0
		return x
	}
	return tnumIntersect(x, y)
}

func refine32(a, b *bounds, op uint8) {
	switch op {
	case 0x10:
		a.u32min = max(a.u32min, b.u32min)
		a.u32max = min(a.u32max, b.u32max)
		a.s32min = max(a.s32min, b.s32min)
		a.s32max = min(a.s32max, b.s32max)
		t := intersectChecked(a, a.varOff.subreg(), b.varOff.subreg())
		a.varOff = a.varOff.withSubreg(t)
		b.u32min, b.u32max, b.s32min, b.s32max = a.u32min, a.u32max, a.s32min, a.s32max
		b.varOff = b.varOff.withSubreg(t)
	case 0x50:
		if !a.is32Const() && b.is32Const() {
			neAdjust32(a, uint32(b.varOff.value))
		} else if a.is32Const() && !b.is32Const() {
			neAdjust32(b, uint32(a.varOff.value))
		} else if a.is32Const() && b.is32Const() && uint32(a.varOff.value) == uint32(b.varOff.value) {
			a.u32min, a.u32max = 1, 0
		}
	case 0x40:
		if b.is32Const() {
			c := uint32(b.varOff.value)
			if c == 0 || (a.is32Const() && uint32(a.varOff.value)&c == 0) {
				a.u32min, a.u32max = 1, 0
			} else if bits.OnesCount32(c) == 1 {
				a.varOff = a.varOff.withSubreg(tnumOr(a.varOff.subreg(), tnumConst(uint64(c))))
			}
		}
	case jsetFalse:
		if b.is32Const() {
			c := uint32(b.varOff.value)
			if a.is32Const() && uint32(a.varOff.value)&c != 0 {
				a.u32min, a.u32max = 1, 0
			}
			a.varOff = a.varOff.withSubreg(tnumAnd(a.varOff.subreg(), tnumConst(uint64(^c))))
		}
	case 0x20:
		if b.u32min == math.MaxUint32 || a.u32max == 0 {
			a.u32min, a.u32max = 1, 0
			return
		}
		a.u32min = max(a.u32min, b.u32min+1)
		b.u32max = min(b.u32max, a.u32max-1)
	case 0x30:
		a.u32min = max(a.u32min, b.u32min)
		b.u32max = min(b.u32max, a.u32max)
	case 0xa0:
		refine32(b, a, 0x20)
	case 0xb0:
		refine32(b, a, 0x30)
	case 0x60:
		if b.s32min == math.MaxInt32 || a.s32max == math.MinInt32 {
			a.u32min, a.u32max = 1, 0
			return
		}
		a.s32min = max(a.s32min, b.s32min+1)
		b.s32max = min(b.s32max, a.s32max-1)
	case 0x70:
		a.s32min = max(a.s32min, b.s32min)
		b.s32max = min(b.s32max, a.s32max)
	case 0xc0:
		refine32(b, a, 0x60)
	case 0xd0:
		refine32(b, a, 0x70)
	}
}

// within reports whether every value described by cur is described by old
// (range_within + tnum_in).
func (old *bounds) within(cur *bounds) bool {
	return old.umin <= cur.umin && old.umax >= cur.umax &&
		old.smin <= cur.smin && old.smax >= cur.smax &&
		old.u32min <= cur.u32min && old.u32max >= cur.u32max &&
		old.s32min <= cur.s32min && old.s32max >= cur.s32max &&
		tnumIn(old.varOff, cur.varOff)
}

func (b *bounds) equal(o *bounds) bool { return *b == *o }
