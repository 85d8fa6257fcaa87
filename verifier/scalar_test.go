package verifier

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBoundsDeductOverlap: a signed range that crosses the sign boundary
// and an unsigned range that overlaps only one of its halves give that half
// (__reg64_deduce_bounds; verifier_bounds.c bounds_deduct_positive_overlap).
func TestBoundsDeductOverlap(t *testing.T) {
	b := unknownBounds()
	b.smin, b.smax = -128, 127
	b.umax = 0xffffffffffffff00
	b.sync()
	if b.smin != 0 || b.smax != 127 || b.umin != 0 || b.umax != 127 {
		t.Errorf("one overlap: got s[%d,%d] u[%d,%#x], want [0,127] both", b.smin, b.smax, b.umin, b.umax)
	}
	// overlapping both halves tells nothing new
	b = unknownBounds()
	b.smin, b.smax = -128, 127
	b.umax = 0xffffffffffffff80
	b.sync()
	if b.smin != -128 || b.smax != 127 || b.umax != 0xffffffffffffff80 {
		t.Errorf("two overlaps: got s[%d,%d] u[%d,%#x]", b.smin, b.smax, b.umin, b.umax)
	}
	// an empty range stays empty (the deductions must not refill it)
	b = unknownBounds()
	b.smin, b.smax = 4, 3
	b.umin = 4
	b.sync()
	if b.sane() {
		t.Errorf("empty signed range became sane: %+v", b)
	}
}

// TestBoundsSyncKeepsValue: sync never drops a value that every range and
// the known bits allow (the deductions are sound).
func TestBoundsSyncKeepsValue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	edges := []uint64{0, 1, 127, 128, math.MaxInt32, 1 << 31, math.MaxUint32, 1 << 32,
		math.MaxInt64, 1 << 63, math.MaxUint64 - math.MaxUint32, math.MaxUint64 - 128, math.MaxUint64}
	pick := func() uint64 {
		e := edges[r.IntN(len(edges))]
		return e + uint64(r.IntN(9)) - 4
	}
	for i := 0; i < 200000; i++ {
		v := pick()
		b := unknownBounds()
		// each range: random bounds that contain v, or unbounded
		if r.IntN(2) == 0 {
			b.umin, b.umax = min(v, pick()), max(v, pick())
		}
		if r.IntN(2) == 0 {
			b.smin, b.smax = min(int64(v), int64(pick())), max(int64(v), int64(pick()))
		}
		if r.IntN(2) == 0 {
			b.u32min, b.u32max = min(uint32(v), uint32(pick())), max(uint32(v), uint32(pick()))
		}
		if r.IntN(2) == 0 {
			b.s32min, b.s32max = min(int32(v), int32(pick())), max(int32(v), int32(pick()))
		}
		if r.IntN(4) == 0 {
			m := pick()
			b.varOff = tnum{value: v &^ m, mask: m}
		}
		in := b
		b.sync()
		if !b.sane() || v < b.umin || v > b.umax || int64(v) < b.smin || int64(v) > b.smax ||
			uint32(v) < b.u32min || uint32(v) > b.u32max || int32(v) < b.s32min || int32(v) > b.s32max ||
			v&^b.varOff.mask != b.varOff.value {
			t.Fatalf("value %#x lost: %+v synced to %+v", v, in, b)
		}
		// a narrow fill of it keeps its low bytes (coerce_reg_to_size)
		for _, size := range []int{1, 2, 4} {
			w := v & (uint64(1)<<(8*size) - 1)
			c := coerceScalar(makeScalar(b), size).bounds
			if !c.sane() || w < c.umin || w > c.umax || int64(w) < c.smin || int64(w) > c.smax ||
				uint32(w) < c.u32min || uint32(w) > c.u32max || int32(w) < c.s32min || int32(w) > c.s32max ||
				w&^c.varOff.mask != c.varOff.value {
				t.Fatalf("value %#x: %d-byte fill %#x lost: %+v coerced to %+v", v, size, w, b, c)
			}
		}
	}
}

// TestSextRange: the sign extension of every value of a range is within
// sextRange's answer.
func TestSextRange(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []uint{8, 16, 32} {
		for i := 0; i < 100000; i++ {
			base := int64(r.Uint64()) &^ (int64(1)<<k - 1)
			lo := base + int64(r.IntN(1<<k))
			hi := lo + int64(r.IntN(1<<9))
			mn, mx, ok := sextRange(lo, hi, k)
			if !ok {
				continue
			}
			v := lo + int64(r.IntN(int(hi-lo)+1))
			sh := 64 - k
			if e := int64(uint64(v)<<sh) >> sh; e < mn || e > mx {
				t.Fatalf("k=%d [%#x,%#x]: %#x extends to %d, outside [%d,%d]", k, lo, hi, v, e, mn, mx)
			}
		}
	}
}
