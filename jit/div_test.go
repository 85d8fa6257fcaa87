package jit

import (
	"fmt"
	"math"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestDivEdges checks division and modulo on the JIT against Go's
// arithmetic with RFC 9669's special cases, on operands at the edges of
// its paths (double precision below 2^52, the 64-bit div above, zero, -1,
// INT_MIN), in both widths, register and immediate forms, with the
// operands in registers div borrows (r0 = rax, r3 = rdx) or in the same
// register.
func TestDivEdges(t *testing.T) {
	if !Supported {
		t.Skip("no JIT on this platform")
	}
	vals := []uint64{0, 1, 2, 3, 7, 10, 0xffffffff, 0x80000000, 0x7fffffff, 0x100000000,
		1<<52 - 1, 1 << 52, 1<<52 + 1, 1<<53 + 1, math.MaxUint64, 1 << 63, 1<<63 - 1,
		(1<<32-1)*(1<<20-1) + (1<<20 - 2), 0xfffffffe, 4503599627370495 / 3 * 3,
		^uint64(0) - 1, ^uint64(6), ^uint64(0x7fffffff), 12345678901234567}
	type op struct {
		asm            string
		mod, signed, w bool
	}
	var ops []op
	for _, w := range []bool{true, false} {
		for _, signed := range []bool{false, true} {
			for _, mod := range []bool{false, true} {
				s := "/="
				if mod {
					s = "%="
				}
				if signed {
					s = "s" + s
				}
				ops = append(ops, op{s, mod, signed, w})
			}
		}
	}
	mc := newMachine(t, New())
	// the registers: dst, src (r0 is rax, r3 rdx, r5 r8, r6 rbx)
	pairs := [][2]int{{5, 6}, {0, 5}, {5, 0}, {3, 5}, {5, 3}, {0, 3}, {3, 0}, {5, 5}}
	for _, o := range ops {
		for _, a := range vals {
			for _, b := range vals {
				want := divRef(a, b, o.mod, o.signed, o.w)
				reg := "r"
				if !o.w {
					reg = "w"
				}
				for _, pr := range pairs {
					d, s := pr[0], pr[1]
					bb := b
					if d == s {
						bb = a
					}
					src := fmt.Sprintf("r%d = %d ll\nr%d = %d ll\n%s%d %s %s%d\nr0 = r%d\nexit",
						d, a, s, bb, reg, d, o.asm, reg, s, d)
					if d == s {
						src = fmt.Sprintf("r%d = %d ll\n%s%d %s %s%d\nr0 = r%d\nexit", d, a, reg, d, o.asm, reg, s, d)
					}
					got := runDiv(t, mc, src)
					if w := divRef(a, bb, o.mod, o.signed, o.w); got != w {
						t.Fatalf("%s: got %#x, want %#x", src, got, w)
					}
				}
				// the immediate form, when b is one
				imm := int64(int32(b))
				if o.w && uint64(imm) != b || !o.w && uint64(uint32(imm)) != b&0xffffffff {
					continue
				}
				if !o.w {
					want = divRef(a, uint64(uint32(imm)), o.mod, o.signed, o.w)
				}
				for _, d := range []int{0, 3, 5} {
					src := fmt.Sprintf("r%d = %d ll\n%s%d %s %d\nr0 = r%d\nexit", d, a, reg, d, o.asm, imm, d)
					if got := runDiv(t, mc, src); got != want {
						t.Fatalf("%s: got %#x, want %#x", src, got, want)
					}
				}
			}
		}
	}
}

func runDiv(t *testing.T, mc *machine, src string) uint64 {
	t.Helper()
	insns, err := bpfvm.AssembleWith(src, nil)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	o := mc.run(&bpfvm.Program{Name: "div", Insns: insns}, 0, 0)
	if o.err != "" {
		t.Fatalf("%s: %s", src, o.err)
	}
	return o.r0
}

// divRef is RFC 9669's division: x/0 = 0, x%0 = x, INT_MIN/-1 = INT_MIN,
// INT_MIN%-1 = 0; 32-bit forms on the low halves, zero-extended.
func divRef(a, b uint64, mod, signed, w bool) uint64 {
	if !w {
		a, b = a&0xffffffff, b&0xffffffff
	}
	switch {
	case b == 0 && mod:
		return a
	case b == 0:
		return 0
	case !signed && mod:
		return a % b
	case !signed:
		return a / b
	}
	if w {
		return uint64(sdiv(int64(a), int64(b), mod))
	}
	return uint64(uint32(sdiv(int32(a), int32(b), mod)))
}

// sdiv is signed division or modulo, b not 0, with INT_MIN / -1 wrapping.
func sdiv[T int32 | int64](a, b T, mod bool) T {
	switch {
	case b == -1 && mod:
		return 0
	case b == -1:
		return -a
	case mod:
		return a % b
	}
	return a / b
}
