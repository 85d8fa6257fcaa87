package verifier

import (
	"fmt"
	"math"
	"math/bits"
)

// tnum is a tristate number: each bit is known 0, known 1 or unknown
// (mask bit set). Ported from the semantics of kernel/bpf/tnum.c
// (Linux 6.12); the code is our own.
type tnum struct {
	value uint64
	mask  uint64
}

var tnumUnknown = tnum{0, ^uint64(0)}

func tnumConst(v uint64) tnum { return tnum{v, 0} }

// tnumRange returns the tnum covering [min, max].
func tnumRange(min, max uint64) tnum {
	chi := min ^ max
	b := bits.Len64(chi)
	if b > 63 {
		return tnumUnknown
	}
	delta := (uint64(1) << b) - 1
	return tnum{min &^ delta, delta}
}

func (a tnum) isConst() bool             { return a.mask == 0 }
func (a tnum) isUnknown() bool           { return a.mask == ^uint64(0) }
func (a tnum) equalsConst(v uint64) bool { return a.mask == 0 && a.value == v }

func (a tnum) lsh(s uint8) tnum { return tnum{a.value << s, a.mask << s} }
func (a tnum) rsh(s uint8) tnum { return tnum{a.value >> s, a.mask >> s} }
func (a tnum) arsh(s uint8, insnBits int) tnum {
	if insnBits == 32 {
		return tnum{uint64(uint32(int32(uint32(a.value)) >> s)), uint64(uint32(int32(uint32(a.mask)) >> s))}
	}
	return tnum{uint64(int64(a.value) >> s), uint64(int64(a.mask) >> s)}
}

func tnumAdd(a, b tnum) tnum {
	sm := a.mask + b.mask
	sv := a.value + b.value
	sigma := sm + sv
	chi := sigma ^ sv
	mu := chi | a.mask | b.mask
	return tnum{sv &^ mu, mu}
}

func tnumSub(a, b tnum) tnum {
	dv := a.value - b.value
	alpha := dv + a.mask
	beta := dv - b.mask
	chi := alpha ^ beta
	mu := chi | a.mask | b.mask
	return tnum{dv &^ mu, mu}
}

func tnumNeg(a tnum) tnum { return tnumSub(tnumConst(0), a) }

func tnumAnd(a, b tnum) tnum {
	alpha := a.value | a.mask
	beta := b.value | b.mask
	v := a.value & b.value
	return tnum{v, alpha & beta &^ v}
}

func tnumOr(a, b tnum) tnum {
	v := a.value | b.value
	mu := a.mask | b.mask
	return tnum{v, mu &^ v}
}

func tnumXor(a, b tnum) tnum {
	v := a.value ^ b.value
	mu := a.mask | b.mask
	return tnum{v &^ mu, mu}
}

// tnumMul follows the shift-and-add algorithm of tnum_mul (kernel 6.12).
func tnumMul(a, b tnum) tnum {
	accV := a.value * b.value
	accM := tnumConst(0)
	for a.value != 0 || a.mask != 0 {
		if a.value&1 != 0 {
			accM = tnumAdd(accM, tnum{0, b.mask})
		} else if a.mask&1 != 0 {
			accM = tnumAdd(accM, tnum{0, b.value | b.mask})
		}
		a = a.rsh(1)
		b = b.lsh(1)
	}
	return tnumAdd(tnumConst(accV), accM)
}

// tnumIntersect combines two pieces of knowledge about the same value.
func tnumIntersect(a, b tnum) tnum {
	v := a.value | b.value
	mu := a.mask & b.mask
	return tnum{v &^ mu, mu}
}

// tnumCast keeps the low size bytes.
func tnumCast(a tnum, size uint8) tnum {
	if size >= 8 {
		return a
	}
	m := (uint64(1) << (size * 8)) - 1
	return tnum{a.value & m, a.mask & m}
}

func (a tnum) isAligned(size uint64) bool {
	if size == 0 {
		return true
	}
	return (a.value|a.mask)&(size-1) == 0
}

// tnumIn reports whether every value of b is a value of a.
func tnumIn(a, b tnum) bool {
	if b.mask&^a.mask != 0 {
		return false
	}
	b.value &^= a.mask
	return a.value == b.value
}

func (a tnum) subreg() tnum { return tnumCast(a, 4) }

func (a tnum) clearSubreg() tnum { return a.rsh(32).lsh(32) }

func (a tnum) withSubreg(sub tnum) tnum {
	return tnumOr(a.clearSubreg(), sub.subreg())
}

func (a tnum) constSubreg(v uint32) tnum { return a.withSubreg(tnumConst(uint64(v))) }

// String is the kernel's tnum_strn (kernel/bpf/log.c, 6.12): a known
// value in decimal up to U16_MAX, else in hex; "(value; mask)" otherwise.
func (a tnum) String() string {
	if a.mask == 0 {
		if a.value <= math.MaxUint16 {
			return fmt.Sprintf("%d", a.value)
		}
		return fmt.Sprintf("%#x", a.value)
	}
	return fmt.Sprintf("(%#x; %#x)", a.value, a.mask)
}
