package bpfvm

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// runSrc assembles src, runs it to completion on a fresh context and
// returns r0.
func runSrc(t *testing.T, src string, args ...uint64) (uint64, error) {
	t.Helper()
	c := newTestContext(t)
	p := mustProg(t, c.VM.Registry, src)
	return c.Call(p, args...)
}

type interpCase struct {
	name string
	src  string
	want uint64
}

func runCases(t *testing.T, cases []interpCase) {
	t.Helper()
	c := newTestContext(t)
	for _, tt := range cases {
		insns, err := AssembleWith(tt.src, c.VM.Registry)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got, err := c.Call(&Program{Name: tt.name, Insns: insns})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: r0 = %#x, want %#x", tt.name, got, tt.want)
		}
	}
}

const (
	minI64 = "0x8000000000000000 ll"
	u64max = math.MaxUint64
)

func TestALU(t *testing.T) { onEngines(t, testALU) }

func testALU(t *testing.T) {
	runCases(t, []interpCase{
		// add, sub, mul
		{"add64 K", "r0 = -1\nr0 += 2\nexit", 1},
		{"add64 X", "r0 = 40\nr1 = 2\nr0 += r1\nexit", 42},
		{"add32 wraps and zero-extends", "r0 = -1\nw0 += 2\nexit", 1},
		{"add32 clears upper half", "r0 = -1\nw0 += 0\nexit", 0xffffffff},
		{"sub64", "r0 = 1\nr0 -= 2\nexit", u64max},
		{"sub32", "r0 = 1\nw0 -= 2\nexit", 0xffffffff},
		{"mul64 overflow", "r0 = 0x100000000 ll\nr1 = 0x100000001 ll\nr0 *= r1\nexit", 0x100000000},
		{"mul32", "w0 = 0x10000\nw0 *= 0x10001\nexit", 0x10000},
		{"mul64 K sign-extends", "r0 = 2\nr0 *= -1\nexit", u64max - 1},
		// div
		{"div64", "r0 = 7\nr0 /= 2\nexit", 3},
		{"div64 unsigned", "r0 = -1\nr0 /= 2\nexit", math.MaxInt64},
		{"div64 K is sign-extended", "r0 = -1\nr0 /= -1\nexit", 1},
		{"div64 by zero X", "r0 = 7\nr1 = 0\nr0 /= r1\nexit", 0},
		{"div64 by zero K", "r0 = 7\nr0 /= 0\nexit", 0},
		{"div32", "r0 = -1\nw0 /= 2\nexit", 0x7fffffff},
		{"div32 by zero", "r0 = -1\nw1 = 0\nw0 /= w1\nexit", 0},
		{"div32 by 2^32 is by zero", "r0 = 7\nr1 = 0x100000000 ll\nw0 /= w1\nexit", 0},
		// sdiv
		{"sdiv64", "r0 = -7\nr0 s/= 2\nexit", uint64(math.MaxUint64 - 2)},
		{"sdiv64 INT_MIN/-1", "r0 = " + minI64 + "\nr1 = -1\nr0 s/= r1\nexit", 1 << 63},
		{"sdiv64 INT_MIN/-1 K", "r0 = " + minI64 + "\nr0 s/= -1\nexit", 1 << 63},
		{"sdiv64 by zero", "r0 = -7\nr1 = 0\nr0 s/= r1\nexit", 0},
		{"sdiv32", "w0 = -7\nw0 s/= 2\nexit", 0xfffffffd},
		{"sdiv32 INT_MIN/-1", "w0 = 0x80000000\nw1 = -1\nw0 s/= w1\nexit", 0x80000000},
		{"sdiv32 by zero", "r0 = -7\nw0 s/= 0\nexit", 0},
		// mod
		{"mod64", "r0 = 7\nr0 %= 3\nexit", 1},
		{"mod64 by zero keeps dst", "r0 = -5\nr1 = 0\nr0 %= r1\nexit", uint64(math.MaxUint64 - 4)},
		{"mod64 by zero K", "r0 = -5\nr0 %= 0\nexit", uint64(math.MaxUint64 - 4)},
		{"mod32", "r0 = 0x100000007 ll\nw0 %= 3\nexit", 1},
		{"mod32 by zero zero-extends", "r0 = 0x1ffffffff ll\nw1 = 0\nw0 %= w1\nexit", 0xffffffff},
		{"mod32 by zero K", "r0 = 0x100000005 ll\nw0 %= 0\nexit", 5},
		// smod
		{"smod64", "r0 = -7\nr0 s%= 2\nexit", u64max},
		{"smod64 negative divisor", "r0 = 7\nr0 s%= -2\nexit", 1},
		{"smod64 INT_MIN%-1", "r0 = " + minI64 + "\nr1 = -1\nr0 s%= r1\nexit", 0},
		{"smod64 by zero keeps dst", "r0 = -7\nr1 = 0\nr0 s%= r1\nexit", uint64(math.MaxUint64 - 6)},
		{"smod32", "w0 = -7\nw0 s%= 2\nexit", 0xffffffff},
		{"smod32 INT_MIN%-1", "w0 = 0x80000000\nw0 s%= -1\nexit", 0},
		{"smod32 by zero zero-extends", "r0 = -7\nw1 = 0\nw0 s%= w1\nexit", 0xfffffff9},
		// bitwise
		{"or64", "r0 = 0xf0\nr0 |= 0xf\nexit", 0xff},
		{"or32", "r0 = -1 ll\nw0 |= 1\nexit", 0xffffffff},
		{"and64 K sign-extends", "r0 = -1\nr0 &= -2\nexit", u64max - 1},
		{"and32", "r0 = -1\nw0 &= 0xff\nexit", 0xff},
		{"xor64", "r0 = 0xff\nr1 = 0xf\nr0 ^= r1\nexit", 0xf0},
		{"xor32", "r0 = -1\nw0 ^= 0\nexit", 0xffffffff},
		// shifts
		{"lsh64", "r0 = 1\nr0 <<= 63\nexit", 1 << 63},
		{"lsh64 K masked", "r0 = 1\nr0 <<= 65\nexit", 2},
		{"lsh64 X masked", "r0 = 1\nr1 = 65\nr0 <<= r1\nexit", 2},
		{"lsh32", "w0 = 1\nw0 <<= 31\nexit", 0x80000000},
		{"lsh32 masked", "w0 = 1\nw1 = 33\nw0 <<= w1\nexit", 2},
		{"lsh32 drops upper", "w0 = 3\nw0 <<= 31\nexit", 0x80000000},
		{"rsh64", "r0 = -1\nr0 >>= 60\nexit", 0xf},
		{"rsh64 X masked", "r0 = -1\nr1 = 124\nr0 >>= r1\nexit", 0xf},
		{"rsh32", "r0 = -1\nw0 >>= 28\nexit", 0xf},
		{"rsh32 masked", "r0 = -1\nw1 = 60\nw0 >>= w1\nexit", 0xf},
		{"arsh64", "r0 = -16\nr0 s>>= 2\nexit", uint64(math.MaxUint64 - 3)},
		{"arsh64 masked", "r0 = -16\nr1 = 66\nr0 s>>= r1\nexit", uint64(math.MaxUint64 - 3)},
		{"arsh32", "w0 = -16\nw0 s>>= 2\nexit", 0xfffffffc},
		{"arsh32 masked", "w0 = -16\nw1 = 34\nw0 s>>= w1\nexit", 0xfffffffc},
		{"arsh32 positive", "r0 = 0x1ffffffff ll\nw0 s>>= 4\nexit", 0xffffffff},
		// neg, mov, movsx
		{"neg64", "r0 = 5\nr0 = -r0\nexit", uint64(math.MaxUint64 - 4)},
		{"neg32", "r0 = 5\nw0 = -w0\nexit", 0xfffffffb},
		{"neg64 INT_MIN", "r0 = " + minI64 + "\nr0 = -r0\nexit", 1 << 63},
		{"mov64 K sign-extends", "r0 = -1\nexit", u64max},
		{"mov32 K zero-extends", "w0 = -1\nexit", 0xffffffff},
		{"mov32 X zero-extends", "r1 = -1\nw0 = w1\nexit", 0xffffffff},
		{"mov64 X", "r1 = -1\nr0 = r1\nexit", u64max},
		{"movsx64 s8", "r1 = 0x180\nr0 = (s8)r1\nexit", uint64(math.MaxUint64 - 127)},
		{"movsx64 s8 positive", "r1 = 0x17f\nr0 = (s8)r1\nexit", 0x7f},
		{"movsx64 s16", "r1 = 0x18000\nr0 = (s16)r1\nexit", uint64(math.MaxUint64 - 32767)},
		{"movsx64 s32", "r1 = 0x180000000 ll\nr0 = (s32)r1\nexit", 0xffffffff80000000},
		{"movsx32 s8", "r1 = 0x80\nw0 = (s8)w1\nexit", 0xffffff80},
		{"movsx32 s16", "r1 = 0x8000\nw0 = (s16)w1\nexit", 0xffff8000},
		// byte swaps
		{"le16", "r0 = 0x1122334455667788 ll\nr0 = le16 r0\nexit", 0x7788},
		{"le32", "r0 = 0x1122334455667788 ll\nr0 = le32 r0\nexit", 0x55667788},
		{"le64", "r0 = 0x1122334455667788 ll\nr0 = le64 r0\nexit", 0x1122334455667788},
		{"be16", "r0 = 0x1122334455667788 ll\nr0 = be16 r0\nexit", 0x8877},
		{"be32", "r0 = 0x1122334455667788 ll\nr0 = be32 r0\nexit", 0x88776655},
		{"be64", "r0 = 0x1122334455667788 ll\nr0 = be64 r0\nexit", 0x8877665544332211},
		{"bswap16", "r0 = 0x1122334455667788 ll\nr0 = bswap16 r0\nexit", 0x8877},
		{"bswap32", "r0 = 0x1122334455667788 ll\nr0 = bswap32 r0\nexit", 0x88776655},
		{"bswap64", "r0 = 0x1122334455667788 ll\nr0 = bswap64 r0\nexit", 0x8877665544332211},
		// the move folded into the next operation (fused ops)
		{"fused mov+add", "r1 = 40\nr0 = r1\nr0 += 2\nexit", 42},
		{"fused mov+add self", "r1 = 21\nr0 = r1\nr0 += r0\nexit", 42},
		{"fused mov+mod", "r2 = 17\nr3 = 5\nr0 = r2\nr0 %= r3\nexit", 2},
		{"fused mov+mod by zero", "r2 = 17\nr3 = 0\nr0 = r2\nr0 %= r3\nexit", 17},
		{"fused mov32+add32", "r1 = -1\nw0 = w1\nw0 += 1\nexit", 0},
		{"fused mov64+add32", "r1 = 0x1ffffffff ll\nr0 = r1\nw0 += 1\nexit", 0},
		{"not fused mov32+add64", "r1 = -1\nw0 = w1\nr0 += 1\nexit", 0x100000000},
		{"fused mov+sdiv32", "r1 = -8\nr0 = r1\nw0 s/= 2\nexit", 0xfffffffc},
		{"fused mov+arsh", "r1 = -8\nr0 = r1\nr0 s>>= 1\nexit", uint64(math.MaxUint64 - 3)},
		{"fused mov+lsh32 X", "r1 = 3\nr2 = 33\nr0 = r1\nw0 <<= w2\nexit", 6},
		{"fused mov, jump to the op", "r1 = 5\nr0 = 1\ngoto op\nr0 = r1\nop: r0 += 1\nexit", 2},
		// 64-bit immediates
		{"ld_imm64", "r0 = 0x123456789abcdef0 ll\nexit", 0x123456789abcdef0},
		{"ld_imm64 ksym", "r0 = ksym 0xffffffff81000000 ll\nexit", 0xffffffff81000000},
	})
}

// TestJumps checks every condition, 32 and 64 bit, register and immediate,
// against Go's comparison on a spread of values.
func TestJumps(t *testing.T) { onEngines(t, testJumps) }

func testJumps(t *testing.T) {
	vals := []uint64{0, 1, 5, u64max, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x100000005,
		1 << 63, math.MaxInt64, 0xffffffff80000000, 0xfffffffffffffffb}
	type cond struct {
		op   string
		cmp  func(a, b uint64) bool
		cmp3 func(a, b uint32) bool
	}
	conds := []cond{
		{"==", func(a, b uint64) bool { return a == b }, func(a, b uint32) bool { return a == b }},
		{"!=", func(a, b uint64) bool { return a != b }, func(a, b uint32) bool { return a != b }},
		{">", func(a, b uint64) bool { return a > b }, func(a, b uint32) bool { return a > b }},
		{">=", func(a, b uint64) bool { return a >= b }, func(a, b uint32) bool { return a >= b }},
		{"<", func(a, b uint64) bool { return a < b }, func(a, b uint32) bool { return a < b }},
		{"<=", func(a, b uint64) bool { return a <= b }, func(a, b uint32) bool { return a <= b }},
		{"s>", func(a, b uint64) bool { return int64(a) > int64(b) }, func(a, b uint32) bool { return int32(a) > int32(b) }},
		{"s>=", func(a, b uint64) bool { return int64(a) >= int64(b) }, func(a, b uint32) bool { return int32(a) >= int32(b) }},
		{"s<", func(a, b uint64) bool { return int64(a) < int64(b) }, func(a, b uint32) bool { return int32(a) < int32(b) }},
		{"s<=", func(a, b uint64) bool { return int64(a) <= int64(b) }, func(a, b uint32) bool { return int32(a) <= int32(b) }},
		{"&", func(a, b uint64) bool { return a&b != 0 }, func(a, b uint32) bool { return a&b != 0 }},
	}
	c := newTestContext(t)
	var n int
	for _, cd := range conds {
		for _, a := range vals {
			for _, b := range vals {
				bIsImm := uint64(int64(int32(b))) == b // representable as a sign-extended imm32
				forms := []struct {
					src  string
					want bool
				}{
					{fmt.Sprintf("if r1 %s r2 goto yes", cd.op), cd.cmp(a, b)},
					{fmt.Sprintf("if w1 %s w2 goto yes", cd.op), cd.cmp3(uint32(a), uint32(b))},
					{fmt.Sprintf("if w1 %s %d goto yes", cd.op, int32(uint32(b))), cd.cmp3(uint32(a), uint32(b))},
				}
				if bIsImm {
					forms = append(forms, struct {
						src  string
						want bool
					}{fmt.Sprintf("if r1 %s %d goto yes", cd.op, int32(b)), cd.cmp(a, b)})
				}
				for _, f := range forms {
					src := fmt.Sprintf("r1 = %#x ll\nr2 = %#x ll\nr0 = 0\n%s\nexit\nyes: r0 = 1\nexit", a, b, f.src)
					p := mustProg(t, nil, src)
					got, err := c.Call(p)
					if err != nil {
						t.Fatal(err)
					}
					want := uint64(0)
					if f.want {
						want = 1
					}
					if got != want {
						t.Errorf("a=%#x b=%#x: %s: r0 = %d, want %d", a, b, f.src, got, want)
					}
					n++
				}
			}
		}
	}
	if n < 5000 {
		t.Errorf("only %d cases", n)
	}
	runCases(t, []interpCase{
		{"goto", "r0 = 1\ngoto l\nr0 = 2\nl: exit", 1},
		{"goto back", "r0 = 0\nl: r0 += 1\nif r0 < 5 goto l\nexit", 5},
		{"gotol", "r0 = 1\ngotol l\nr0 = 2\nl: exit", 1},
		{"goto pc+0", "r0 = 3\ngoto pc+0\nexit", 3},
	})
}

func TestMemory(t *testing.T) { onEngines(t, testMemory) }

func testMemory(t *testing.T) {
	runCases(t, []interpCase{
		{"stx/ldx u64", "r1 = 0x1122334455667788 ll\n*(u64 *)(r10 -8) = r1\nr0 = *(u64 *)(r10 -8)\nexit", 0x1122334455667788},
		{"ldx u32 zero-extends", "r1 = -1\n*(u64 *)(r10 -8) = r1\nr0 = *(u32 *)(r10 -8)\nexit", 0xffffffff},
		{"ldx u16", "r1 = -1\n*(u64 *)(r10 -8) = r1\nr0 = *(u16 *)(r10 -6)\nexit", 0xffff},
		{"ldx u8", "r1 = 0x1122334455667788 ll\n*(u64 *)(r10 -8) = r1\nr0 = *(u8 *)(r10 -7)\nexit", 0x77},
		{"ldxs s8", "r1 = 0x80\n*(u64 *)(r10 -8) = r1\nr0 = *(s8 *)(r10 -8)\nexit", uint64(math.MaxUint64 - 127)},
		{"ldxs s16", "r1 = 0x8001\n*(u64 *)(r10 -8) = r1\nr0 = *(s16 *)(r10 -8)\nexit", 0xffffffffffff8001},
		{"ldxs s32", "r1 = 0x80000001\n*(u64 *)(r10 -8) = r1\nr0 = *(s32 *)(r10 -8)\nexit", 0xffffffff80000001},
		{"ldxs s32 positive", "r1 = 0x7fffffff\n*(u64 *)(r10 -8) = r1\nr0 = *(s32 *)(r10 -8)\nexit", 0x7fffffff},
		{"st u64 sign-extends", "*(u64 *)(r10 -8) = -2\nr0 = *(u64 *)(r10 -8)\nexit", u64max - 1},
		{"st u32", "*(u64 *)(r10 -8) = 0\n*(u32 *)(r10 -8) = -2\nr0 = *(u64 *)(r10 -8)\nexit", 0xfffffffe},
		{"st u16", "*(u64 *)(r10 -8) = 0\n*(u16 *)(r10 -6) = 0x1234\nr0 = *(u64 *)(r10 -8)\nexit", 0x12340000},
		{"st u8", "*(u64 *)(r10 -8) = 0\n*(u8 *)(r10 -1) = 0xab\nr0 = *(u64 *)(r10 -8)\nexit", 0xab00000000000000},
		{"stx u32", "*(u64 *)(r10 -8) = -1\nr1 = 0\n*(u32 *)(r10 -4) = r1\nr0 = *(u64 *)(r10 -8)\nexit", 0xffffffff},
		{"stx u16", "*(u64 *)(r10 -8) = 0\nr1 = 0x12345\n*(u16 *)(r10 -8) = r1\nr0 = *(u64 *)(r10 -8)\nexit", 0x2345},
		{"stx u8", "*(u64 *)(r10 -8) = 0\nr1 = 0x1ff\n*(u8 *)(r10 -8) = r1\nr0 = *(u64 *)(r10 -8)\nexit", 0xff},
		{"unaligned", "*(u64 *)(r10 -16) = 0\n*(u64 *)(r10 -8) = 0\nr1 = 0x1122334455667788 ll\n*(u64 *)(r10 -13) = r1\nr0 = *(u64 *)(r10 -13)\nexit", 0x1122334455667788},
	})
}

func TestAtomics(t *testing.T) { onEngines(t, testAtomics) }

func testAtomics(t *testing.T) {
	// r6 = old memory value, r7 = operand; r0 = memory after (or the fetched value)
	pre64 := "r6 = 0x00000000f0f0f0f0 ll\n*(u64 *)(r10 -8) = r6\nr7 = 0x1000000ff ll\nr1 = r10\n"
	mem64 := "r0 = *(u64 *)(r10 -8)\nexit"
	pre32 := "r6 = 0x11111111f0f0f0f0 ll\n*(u64 *)(r10 -8) = r6\nr7 = 0x2000000ff ll\nr1 = r10\n"
	mem32 := "r0 = *(u64 *)(r10 -8)\nexit"
	runCases(t, []interpCase{
		{"add64", pre64 + "lock *(u64 *)(r1 -8) += r7\n" + mem64, 0x1f0f0f1ef},
		{"or64", pre64 + "lock *(u64 *)(r1 -8) |= r7\n" + mem64, 0x1f0f0f0ff},
		{"and64", pre64 + "lock *(u64 *)(r1 -8) &= r7\n" + mem64, 0xf0},
		{"xor64", pre64 + "lock *(u64 *)(r1 -8) ^= r7\n" + mem64, 0x1f0f0f00f},
		{"fetch_add64 mem", pre64 + "r7 = atomic64_fetch_add((u64 *)(r1 -8), r7)\n" + mem64, 0x1f0f0f1ef},
		{"fetch_add64 old", pre64 + "r7 = atomic64_fetch_add((u64 *)(r1 -8), r7)\nr0 = r7\nexit", 0xf0f0f0f0},
		{"fetch_or64", pre64 + "r7 = atomic64_fetch_or((u64 *)(r1 -8), r7)\nr0 = *(u64 *)(r10 -8)\nr0 ^= r7\nexit", 0x1f0f0f0ff ^ 0xf0f0f0f0},
		{"fetch_and64", pre64 + "r7 = atomic64_fetch_and((u64 *)(r1 -8), r7)\nr0 = *(u64 *)(r10 -8)\nr0 += r7\nexit", 0xf0 + 0xf0f0f0f0},
		{"fetch_xor64", pre64 + "r7 = atomic64_fetch_xor((u64 *)(r1 -8), r7)\nr0 = *(u64 *)(r10 -8)\nr0 -= r7\nexit", 0x1f0f0f00f - 0xf0f0f0f0},
		{"xchg64", pre64 + "r7 = atomic64_xchg((u64 *)(r1 -8), r7)\nr0 = *(u64 *)(r10 -8)\nr0 -= r7\nexit", 0x1000000ff - 0xf0f0f0f0},
		{"cmpxchg64 success", pre64 + "r0 = r6\nr0 = atomic64_cmpxchg((u64 *)(r1 -8), r0, r7)\nr1 = *(u64 *)(r10 -8)\nif r1 != r7 goto bad\nexit\nbad: r0 = -1\nexit", 0xf0f0f0f0},
		{"cmpxchg64 failure", pre64 + "r0 = 5\nr0 = atomic64_cmpxchg((u64 *)(r1 -8), r0, r7)\nr1 = *(u64 *)(r10 -8)\nif r1 != r6 goto bad\nexit\nbad: r0 = -1\nexit", 0xf0f0f0f0},
		// 32-bit: the upper half of memory is untouched, fetched values zero-extended
		{"add32", pre32 + "lock *(u32 *)(r1 -8) += r7\n" + mem32, 0x11111111f0f0f1ef},
		{"or32", pre32 + "lock *(u32 *)(r1 -8) |= r7\n" + mem32, 0x11111111f0f0f0ff},
		{"and32", pre32 + "lock *(u32 *)(r1 -8) &= r7\n" + mem32, 0x11111111000000f0},
		{"xor32", pre32 + "lock *(u32 *)(r1 -8) ^= r7\n" + mem32, 0x11111111f0f0f00f},
		{"fetch_add32 old", pre32 + "r7 = atomic_fetch_add((u32 *)(r1 -8), r7)\nr0 = r7\nexit", 0xf0f0f0f0},
		{"fetch_add32 mem", pre32 + "r7 = atomic_fetch_add((u32 *)(r1 -8), r7)\n" + mem32, 0x11111111f0f0f1ef},
		{"fetch_or32 old", pre32 + "r7 = atomic_fetch_or((u32 *)(r1 -8), r7)\nr0 = r7\nexit", 0xf0f0f0f0},
		{"fetch_and32 mem", pre32 + "r7 = atomic_fetch_and((u32 *)(r1 -8), r7)\n" + mem32, 0x11111111000000f0},
		{"fetch_xor32 mem", pre32 + "r7 = atomic_fetch_xor((u32 *)(r1 -8), r7)\n" + mem32, 0x11111111f0f0f00f},
		{"xchg32 old", pre32 + "r7 = atomic_xchg((u32 *)(r1 -8), r7)\nr0 = r7\nexit", 0xf0f0f0f0},
		{"xchg32 mem", pre32 + "r7 = atomic_xchg((u32 *)(r1 -8), r7)\n" + mem32, 0x11111111000000ff},
		{"cmpxchg32 success compares low half of r0", pre32 + "r0 = 0x7f0f0f0f0 ll\nr0 = atomic_cmpxchg((u32 *)(r1 -8), r0, r7)\n" + mem32, 0x11111111000000ff},
		{"cmpxchg32 success r0", pre32 + "r0 = 0x7f0f0f0f0 ll\nr0 = atomic_cmpxchg((u32 *)(r1 -8), r0, r7)\nexit", 0xf0f0f0f0},
		{"cmpxchg32 failure", pre32 + "r0 = 1\nr0 = atomic_cmpxchg((u32 *)(r1 -8), r0, r7)\n" + mem32, 0x11111111f0f0f0f0},
		{"cmpxchg32 failure r0", pre32 + "r0 = -1\nr0 = atomic_cmpxchg((u32 *)(r1 -8), r0, r7)\nexit", 0xf0f0f0f0},
	})
}

func wantFault(t *testing.T, err error, pc int, reason string) *Fault {
	t.Helper()
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("error %v, want a *Fault", err)
	}
	if f.PC != pc || !strings.Contains(f.Reason, reason) {
		t.Fatalf("fault at pc %d %q, want pc %d and %q", f.PC, f.Reason, pc, reason)
	}
	return f
}

func TestFaults(t *testing.T) { onEngines(t, testFaults) }

func testFaults(t *testing.T) {
	c := newTestContext(t)
	base, size := c.VM.Mem.Base(), c.VM.Mem.Size()
	tests := []struct {
		name   string
		src    string
		args   []uint64
		pc     int
		reason string
	}{
		{"load from NULL", "r0 = 1\nr0 = *(u64 *)(r1 +0)\nexit", []uint64{0}, 1, "invalid load of 8 bytes at 0x0"},
		{"load past the end", "r0 = *(u8 *)(r1 +0)\nexit", []uint64{base + size}, 0, "invalid load of 1 bytes"},
		{"load straddling the end", "r0 = *(u64 *)(r1 -4)\nexit", []uint64{base + size}, 0, "invalid load of 8 bytes"},
		{"store below the start", "*(u32 *)(r1 -1) = 0\nexit", []uint64{base}, 0, "invalid store of 4 bytes"},
		{"stx straddling the end", "*(u16 *)(r1 +0) = r1\nexit", []uint64{base + size - 1}, 0, "invalid store of 2 bytes"},
		{"atomic out of bounds", "lock *(u64 *)(r1 +0) += r1\nexit", []uint64{7}, 0, "invalid atomic access of 8 bytes"},
		{"cmpxchg32 out of bounds", "r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r1)\nexit", []uint64{base + size - 3}, 0, "invalid atomic access of 4 bytes"},
		{"ldxs out of bounds", "r0 = *(s16 *)(r1 +0)\nexit", []uint64{u64max}, 0, "invalid load of 2 bytes"},
		{"invalid opcode", "r0 = 0\n.insn 0xff, 0, 0, 0, 0\nexit", nil, 1, "invalid instruction (.insn 0xff"},
		{"reserved field", "r0 = 0\n.insn 0x07, 0, 1, 0, 1\nexit", nil, 1, "invalid instruction"},
		{"legacy packet load", "r0 = *(u8 *)skb[0]\nexit", nil, 0, "legacy packet access"},
		{"fall off the end", "r0 = 0", nil, 1, "execution left the program"},
		{"jump outside", "r0 = 0\ngoto pc+100\nexit", nil, 3, "execution left the program"},
		{"jump into ld_imm64", "goto pc+1\nr0 = 1 ll\nexit", nil, 2, "second half of a 64-bit immediate load"},
		{"unknown helper", "call 9999\nexit", nil, 0, "unknown helper #9999"},
		{"unknown kfunc", "call kfunc 9999\nexit", nil, 0, "unknown kfunc #9999"},
		{"call outside", "call pc+100\nexit", nil, 0, "outside the program"},
		{"unresolved map fd", "r1 = map[fd:3]\nexit", nil, 0, "unresolved map relocation"},
		{"map index out of range", "r1 = map[id:3]\nexit", nil, 0, "map index 3 out of range"},
		{"bpf_loop with a non-function", "r1 = 1\nr2 = 0\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit", nil, 4, "bpf_loop: callback 0x0 is not the address of a subprogram"},
	}
	for _, tt := range tests {
		p := mustProg(t, c.VM.Registry, tt.src)
		_, err := c.Call(p, tt.args...)
		f := wantFault(t, err, tt.pc, tt.reason)
		if f.Prog != p {
			t.Errorf("%s: fault names program %v", tt.name, f.Prog)
		}
		if c.Active() {
			t.Errorf("%s: context still active after a fault", tt.name)
		}
	}
}

func TestInstructionLimit(t *testing.T) { onEngines(t, testInstructionLimit) }

func testInstructionLimit(t *testing.T) {
	c := newTestContext(t)
	c.Limit = 1000
	p := mustProg(t, nil, "r0 = 0\nl: r0 += 1\ngoto l")
	before := c.Insns
	_, err := c.Call(p)
	f := wantFault(t, err, 2, "instruction limit of 1000 exceeded")
	if c.Insns-before != 1000 {
		t.Errorf("executed %d instructions, want 1000", c.Insns-before)
	}
	if c.Regs[0] != 500 {
		t.Errorf("r0 = %d at the limit, want 500", c.Regs[0])
	}
	_ = f
	// a program of exactly Limit instructions is fine
	c.Limit = 3
	if r0, err := c.Call(mustProg(t, nil, "r0 = 1\nr0 += 1\nexit")); err != nil || r0 != 2 {
		t.Errorf("3 instructions with limit 3: %d, %v", r0, err)
	}
}

func TestCalls(t *testing.T) { onEngines(t, testCalls) }

func testCalls(t *testing.T) {
	runCases(t, []interpCase{
		{"call and return", `
	r1 = 20
	call f
	r0 += 1
	exit
f:	r0 = r1
	r0 *= 2
	exit`, 41},
		{"r6-r9 preserved, r10 per frame", `
	r6 = 6
	r7 = 7
	r8 = 8
	r9 = 9
	*(u64 *)(r10 -8) = 100
	r1 = r10
	call f
	r0 = *(u64 *)(r10 -8)    ; 100, the callee wrote its own frame
	r0 += r6
	r0 += r7
	r0 += r8
	r0 += r9
	exit
f:	r6 = 0
	r7 = 0
	r8 = 0
	r9 = 0
	*(u64 *)(r10 -8) = 5     ; its own stack
	if r10 == r1 goto same
	exit
same:	r6 = 1000
	exit`, 130},
		{"recursion: depth 8 is allowed", `
	r1 = 6
	call f
	exit
f:	r0 = 1
	if r1 == 0 goto out
	r1 -= 1
	call f
	r0 += 1
out:	exit`, 7},
	})
	c := newTestContext(t)
	p := mustProg(t, nil, `
	r1 = 7
	call f
	exit
f:	r0 = 1
	if r1 == 0 goto out
	r1 -= 1
	call f
	r0 += 1
out:	exit`)
	_, err := c.Call(p)
	wantFault(t, err, 6, "call stack deeper than 8 frames")
	if c.Depth != MaxCallFrames {
		t.Errorf("depth %d at the fault", c.Depth)
	}
}

func TestMapLoads(t *testing.T) { onEngines(t, testMapLoads) }

func testMapLoads(t *testing.T) {
	c := newTestContext(t)
	c.VM.Maps = []Map{&testMap{addr: 0x1000, val: 0x2000}, &testMap{addr: 0x3000, val: 0x4000}}
	got, err := c.Call(mustProg(t, nil, "r0 = map[id:1]\nr1 = map[id:0][0]+8\nr0 += r1\nexit"))
	if err != nil || got != 0x3000+0x2008 {
		t.Errorf("map loads: %#x, %v", got, err)
	}
	got, err = c.Call(mustProg(t, nil, "r0 = func f\nexit\nf: exit"))
	if pc, ok := FuncPC(got); err != nil || !ok || pc != 3 {
		t.Errorf("func address %#x (pc %d, %v), %v", got, pc, ok, err)
	}
}

type testMap struct {
	Map       // the Go-side API is not used here
	spec      MapSpec
	addr, val uint64
}

func (m *testMap) Spec() *MapSpec { return &m.spec }
func (m *testMap) Addr() uint64   { return m.addr }
func (m *testMap) ValueAddr(off uint32) (uint64, bool) {
	return m.val + uint64(off), true
}

func TestFuncPtr(t *testing.T) { onEngines(t, testFuncPtr) }

func testFuncPtr(t *testing.T) {
	for _, pc := range []int{0, 1, 1 << 20, math.MaxInt32} {
		if got, ok := FuncPC(FuncPtr(pc)); !ok || got != pc {
			t.Errorf("FuncPC(FuncPtr(%d)) = %d, %v", pc, got, ok)
		}
	}
	for _, v := range []uint64{0, 1, 0x1000, u64max, funcPtrTag | 0x80000000} {
		if _, ok := FuncPC(v); ok {
			t.Errorf("FuncPC(%#x) ok", v)
		}
	}
}

func TestMayGoto(t *testing.T) { onEngines(t, testMayGoto) }

func testMayGoto(t *testing.T) {
	c := newTestContext(t)
	r0, err := c.Call(mustProg(t, nil, `
	r0 = 0
l:	may_goto done
	r0 += 1
	goto l
done:	exit`))
	if err != nil || r0 != MaxLoops {
		t.Fatalf("may_goto loop: r0 = %d, %v; want %d", r0, err, MaxLoops)
	}
	// each call of a function gets its own budget
	r0, err = c.Call(mustProg(t, nil, `
	call f
	r6 = r0
	call f
	r0 += r6
	exit
f:	r0 = 0
l:	may_goto done
	r0 += 1
	if r0 < 10 goto l
done:	exit`))
	if err != nil || r0 != 20 {
		t.Fatalf("may_goto in calls: r0 = %d, %v", r0, err)
	}
}

func TestBpfLoop(t *testing.T) { onEngines(t, testBpfLoop) }

func testBpfLoop(t *testing.T) {
	runCases(t, []interpCase{
		{"sum of indices", `
	*(u64 *)(r10 -8) = 0
	r1 = 10
	r2 = func cb
	r3 = r10
	r3 += -8
	r4 = 0
	call bpf_loop
	r6 = r0                   ; 10 iterations
	r0 = *(u64 *)(r10 -8)     ; 45
	r0 *= 100
	r0 += r6
	exit
cb:	r3 = *(u64 *)(r2 +0)
	r3 += r1
	*(u64 *)(r2 +0) = r3
	r0 = 0
	exit`, 4510},
		{"stop early returns i+1", `
	r1 = 10
	r2 = func cb
	r3 = 0
	r4 = 0
	call bpf_loop
	exit
cb:	r0 = 0
	if r1 != 3 goto out
	r0 = 1
out:	exit`, 4},
		{"zero loops", "r1 = 0\nr2 = func cb\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit\ncb: r0 = 1\nexit", 0},
		{"flags must be 0", "r1 = 1\nr2 = func cb\nr3 = 0\nr4 = 1\ncall bpf_loop\nexit\ncb: r0 = 0\nexit", u64max - 21},
		{"too many loops", "r1 = 0x800001\nr2 = func cb\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit\ncb: r0 = 0\nexit", u64max - 6},
		{"nested with calls in the callback", `
	r6 = 1
	r1 = 3
	r2 = func cb
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 += r6                  ; r6 preserved across the helper
	exit
cb:	call g
	r0 = 0
	exit
g:	r6 = 99
	exit`, 4},
	})
}

func TestNumIterator(t *testing.T) { onEngines(t, testNumIterator) }

func testNumIterator(t *testing.T) {
	// what bpf_for(i, start, end) compiles to: the sum of i in [r6, r7)
	loop := func(start, end int32) string {
		return fmt.Sprintf(`
	r6 = 0
	r1 = r10
	r1 += -8
	r2 = %d
	r3 = %d
	call bpf_iter_num_new
	r8 = r0                 ; status of new
next:	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto done
	r1 = *(s32 *)(r0 +0)
	r6 += r1
	goto next
done:	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = r6
	r0 <<= 32
	r8 <<= 32
	r8 >>= 32
	r0 |= r8
	exit`, start, end)
	}
	pack := func(sum int64, status int32) uint64 { return uint64(sum)<<32 | uint64(uint32(status)) }
	runCases(t, []interpCase{
		{"0..10", loop(0, 10), pack(45, 0)},
		{"empty", loop(5, 5), pack(0, 0)},
		{"negative range", loop(-3, 2), pack(-5, 0)},
		{"start > end", loop(3, 2), pack(0, -22)},
		{"too long", loop(0, MaxLoops+1), pack(0, -7)},
		{"INT_MIN start", loop(math.MinInt32, math.MinInt32+2), pack(2*math.MinInt32+1, 0)},
		{"INT_MAX end", loop(math.MaxInt32-2, math.MaxInt32), pack(2*math.MaxInt32-3, 0)},
	})
	// next after the end keeps returning NULL, and destroy clears the state
	c := newTestContext(t)
	r0, err := c.Call(mustProg(t, c.VM.Registry, `
	r1 = r10
	r1 += -8
	r2 = 0
	r3 = 1
	call bpf_iter_num_new
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	r6 = r0
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	r7 = r0
	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	r0 = r7
	r0 |= r0
	if r6 == 0 goto bad
	exit
bad:	r0 = -1
	exit`))
	if err != nil || r0 != 0 {
		t.Errorf("iterator after its end: %#x, %v", r0, err)
	}
	_, err = c.Call(mustProg(t, c.VM.Registry, "r1 = 0\ncall bpf_iter_num_next\nexit"))
	wantFault(t, err, 1, "bpf_iter_num_next: iterator state")
}

// yieldingVM registers helper 1000, which yields the first n times it is
// called and then returns r1*2, and helper 1001, which calls the
// subprogram at r1 with r2.
func yieldingContext(t *testing.T, n int) (*Context, *int) {
	c := newTestContext(t)
	calls := 0
	c.VM.Registry.AddHelper(&Helper{ID: 1000, Name: "test_yield", Fn: func(c *Context, r1, _, _, _, _ uint64) (uint64, error) {
		calls++
		if calls <= n {
			return 0, ErrYield
		}
		return r1 * 2, nil
	}})
	c.VM.Registry.AddHelper(&Helper{ID: 1001, Name: "test_callback", Cost: 5, Fn: func(c *Context, r1, r2, _, _, _ uint64) (uint64, error) {
		pc, ok := FuncPC(r1)
		if !ok {
			return 0, errors.New("not a function")
		}
		return c.CallSubprog(c.Prog, pc, r2)
	}})
	return c, &calls
}

func TestYield(t *testing.T) { onEngines(t, testYield) }

func testYield(t *testing.T) {
	c, calls := yieldingContext(t, 2)
	p := mustProg(t, c.VM.Registry, "r6 = 5\nr1 = 21\ncall test_yield\nr0 += r6\nexit")
	if err := c.Start(p); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		st, err := c.Run(0)
		if st != StatusYielded || err != nil {
			t.Fatalf("run %d: %v, %v; want yielded", i, st, err)
		}
		if c.PC != 2 || c.Regs[1] != 21 || !c.Active() {
			t.Fatalf("yielded at pc %d with r1 %d", c.PC, c.Regs[1])
		}
		if err := c.Start(p); err == nil {
			t.Fatal("Start while a program is suspended succeeded")
		}
	}
	st, err := c.Run(0)
	if st != StatusExited || err != nil || c.Regs[0] != 47 || *calls != 3 {
		t.Fatalf("after yields: %v %v r0=%d calls=%d", st, err, c.Regs[0], *calls)
	}
	if c.Insns != 5 {
		t.Errorf("Insns = %d, want 5: a retried call counts once", c.Insns)
	}
	// Call treats a yield as an error and abandons the program
	c2, _ := yieldingContext(t, 1)
	_, err = c2.Call(mustProg(t, c2.VM.Registry, "r1 = 1\ncall test_yield\nexit"))
	if !errors.Is(err, ErrYield) || c2.Active() {
		t.Errorf("Call with a yield: %v (active %v)", err, c2.Active())
	}
	// a callback cannot yield
	c3, _ := yieldingContext(t, 1)
	_, err = c3.Call(mustProg(t, c3.VM.Registry, "r1 = func cb\nr2 = 3\ncall test_callback\nexit\ncb: call test_yield\nexit"))
	wantFault(t, err, 5, "yielded inside a callback")
	if c3.Active() {
		t.Error("still active after a failed callback")
	}
}

func TestCallSubprog(t *testing.T) { onEngines(t, testCallSubprog) }

func testCallSubprog(t *testing.T) {
	c, _ := yieldingContext(t, 0)
	p := mustProg(t, c.VM.Registry, `
	r6 = 100
	r1 = func cb
	r2 = 7
	call test_callback
	r0 += r6
	exit
cb:	r6 = r1               ; clobbers r6 in its frame
	r0 = r1
	r0 *= 3
	exit`)
	r0, err := c.Call(p)
	if err != nil || r0 != 121 {
		t.Fatalf("nested callback: %d, %v", r0, err)
	}
	if c.Cost != 5 {
		t.Errorf("Cost = %d, want 5", c.Cost)
	}
	// on an idle context it is a call at pc (a timer callback)
	r0, err = c.CallSubprog(p, 7, 5)
	if err != nil || r0 != 15 {
		t.Fatalf("CallSubprog on an idle context: %d, %v", r0, err)
	}
	if _, err := c.CallSubprog(p, 99); err == nil {
		t.Error("CallSubprog outside the program succeeded")
	}
	// callbacks count against the frame limit: 7 frames + callback = 8 ok, 8 + 1 faults
	deep := func(n int) string {
		return fmt.Sprintf(`
	r1 = %d
	call f
	exit
f:	if r1 == 0 goto cb
	r1 -= 1
	call f
	exit
cb:	r1 = func g
	r2 = 1
	call test_callback
	exit
g:	r0 = 42
	exit`, n)
	}
	if r0, err := c.Call(mustProg(t, c.VM.Registry, deep(5))); err != nil || r0 != 42 {
		t.Errorf("callback in frame 8: %d, %v", r0, err)
	}
	_, err = c.Call(mustProg(t, c.VM.Registry, deep(6)))
	wantFault(t, err, 10, "callback needs a call frame beyond the limit")
}

// TestPreemption runs programs in quanta of every size from 1 to 25 and
// checks that they end exactly as an uninterrupted run: same r0, same
// instruction count. Each Run executes exactly its quantum, except that a
// callback (bpf_loop here) runs to completion and may overrun it.
func TestPreemption(t *testing.T) { onEngines(t, testPreemption) }

func testPreemption(t *testing.T) {
	progs := []string{
		primeSrc,
		`	*(u64 *)(r10 -8) = 0
	r1 = 10
	r2 = func cb
	r3 = r10
	r3 += -8
	r4 = 0
	call bpf_loop
	r0 = *(u64 *)(r10 -8)
	exit
cb:	r3 = *(u64 *)(r2 +0)
	r4 = r1
	r4 *= r1
	r3 += r4
	*(u64 *)(r2 +0) = r3
	call f
	r0 = 0
	exit
f:	r0 = r1
	r0 += 1
	exit`,
		"r6 = 3\nr1 = 4\ncall f\nr0 += r6\nexit\nf: r6 = r1\nr6 *= 3\nr0 = r6\nr0 s%= 5\nexit",
	}
	for k, src := range progs {
		c := newTestContext(t)
		p := mustProg(t, c.VM.Registry, src)
		want, err := c.Call(p, 300)
		if err != nil {
			t.Fatal(err)
		}
		wantInsns := c.Insns
		for q := uint64(1); q <= 25; q++ {
			c := newTestContext(t)
			if err := c.Start(p, 300); err != nil {
				t.Fatal(err)
			}
			runs := 0
			for {
				before := c.Insns
				st, err := c.Run(q)
				runs++
				if err != nil {
					t.Fatalf("prog %d quantum %d: %v", k, q, err)
				}
				if st == StatusExited {
					break
				}
				ran := c.Insns - before
				if st != StatusPreempted || ran < q || ran != q && k != 1 {
					t.Fatalf("prog %d quantum %d: %v after %d instructions", k, q, st, c.Insns-before)
				}
			}
			if c.Regs[0] != want || c.Insns != wantInsns {
				t.Errorf("prog %d quantum %d: r0 %d insns %d, want %d and %d", k, q, c.Regs[0], c.Insns, want, wantInsns)
			}
			if k != 1 && uint64(runs) != (wantInsns+q-1)/q && uint64(runs) != (wantInsns+q)/q {
				t.Errorf("prog %d quantum %d: %d runs for %d instructions", k, q, runs, wantInsns)
			}
		}
	}
}

func TestContextAPI(t *testing.T) { onEngines(t, testContextAPI) }

func testContextAPI(t *testing.T) {
	vm := newTestVM(t)
	if _, err := vm.NewContext(2); err == nil {
		t.Error("context for CPU 2 of 2")
	}
	if _, err := vm.NewContext(-1); err == nil {
		t.Error("context for CPU -1")
	}
	c, err := vm.NewContext(1)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := c.Stack()
	if hi-lo != MaxCallFrames*StackSize || !vm.Mem.Contains(lo, hi-lo) {
		t.Errorf("stack [%#x, %#x)", lo, hi)
	}
	if _, err := c.Run(0); err == nil {
		t.Error("Run without Start")
	}
	p := mustProg(t, nil, "r0 = r5\nr0 += r10\nexit")
	if err := c.Start(p, 1, 2, 3, 4, 5, 6); err == nil {
		t.Error("six arguments")
	}
	if err := c.Start(nil); err == nil {
		t.Error("nil program")
	}
	if err := c.Start(&Program{Name: "empty"}); err == nil {
		t.Error("empty program")
	}
	r0, err := c.Call(p, 1, 2, 3, 4, 5)
	if err != nil || r0 != 5+hi {
		t.Errorf("r5 + r10 = %#x, %v; want %#x", r0, err, 5+hi)
	}
	if c.Engine.Name() != "interp" {
		t.Errorf("engine %q", c.Engine.Name())
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	if err := c.Start(p); err == nil {
		t.Error("Start on a closed context")
	}
	for s, want := range map[Status]string{StatusExited: "exited", StatusPreempted: "preempted", StatusYielded: "yielded", StatusFault: "fault"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
	}
}

func TestHelperErrors(t *testing.T) { onEngines(t, testHelperErrors) }

func testHelperErrors(t *testing.T) {
	c := newTestContext(t)
	c.VM.Registry.AddHelper(&Helper{ID: 1002, Name: "test_fail", Fn: func(*Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return 0, errors.New("no luck")
	}})
	_, err := c.Call(mustProg(t, nil, "r0 = 0\ncall 1002\nexit"))
	f := wantFault(t, err, 1, "test_fail: no luck")
	if f.Err == nil || f.Err.Error() != "no luck" {
		t.Errorf("fault does not wrap the helper's error: %v", f.Err)
	}
	// A helper naming itself in its error is not named twice.
	c.VM.Registry.AddHelper(&Helper{ID: 1003, Name: "test_self", Fn: func(*Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return 0, errors.New("test_self: NULL task")
	}})
	_, err = c.Call(mustProg(t, nil, "r0 = 0\ncall 1003\nexit"))
	if f := wantFault(t, err, 1, "test_self: NULL task"); strings.Contains(f.Reason, "test_self: test_self") {
		t.Errorf("name doubled: %q", f.Reason)
	}
	c.VM.Registry = nil
	_, err = c.Call(mustProg(t, nil, "call 1\nexit"))
	wantFault(t, err, 0, "no registry")
}

func TestExecRaw(t *testing.T) { onEngines(t, testExecRaw) }

func testExecRaw(t *testing.T) {
	insns, err := Assemble("r0 = *(u32 *)(r1 +0)\nr0 += r2\n*(u8 *)(r1 +0) = 9\nexit")
	if err != nil {
		t.Fatal(err)
	}
	var code []byte
	for _, in := range insns {
		code = in.Encode(code)
	}
	mem := []byte{1, 0, 0, 0, 5}
	r0, err := ExecRaw(code, mem)
	if err != nil || r0 != 6 || mem[0] != 9 {
		t.Errorf("ExecRaw: r0 %d, mem %v, %v", r0, mem, err)
	}
	if _, err := ExecRaw(code[:7], nil); err == nil {
		t.Error("7 bytes of code accepted")
	}
	if _, err := ExecRaw(nil, nil); err == nil {
		t.Error("empty program accepted")
	}
	if _, err := ExecRaw(code, nil); err == nil {
		t.Error("load from r1 = 0 did not fault")
	}
}

func TestCallx(t *testing.T) { onEngines(t, testCallx) }

// testCallx: callx (0x8d) calls the subprogram whose address (LD_IMM64
// PseudoFunc) its register holds, in a new frame; anything else faults.
func testCallx(t *testing.T) {
	c := newTestContext(t)
	src := "r6 = 5\nr2 = func add\nif r1 > 10 goto c\nr2 = func sub\nc: callx r2\nr0 += r6\nexit\nadd: r0 = r1\nr0 += 100\nr6 = 1\nexit\nsub: r0 = r1\nr0 -= 100\nexit"
	p := mustProg(t, c.VM.Registry, src)
	for _, tt := range []struct{ arg, want uint64 }{{20, 125}, {3, ^uint64(91)}} {
		if got, err := c.Call(p, tt.arg); err != nil || got != tt.want {
			t.Errorf("callx with r1=%d: %d, %v; want %d", tt.arg, got, err, tt.want)
		}
	}
	p = mustProg(t, c.VM.Registry, "r2 = 7\ncallx r2\nexit")
	_, err := c.Call(p)
	wantFault(t, err, 1, "callx of 0x7, which is not a subprogram")
	p = &Program{Name: "f", Insns: mustProg(t, c.VM.Registry, "r2 = func g\nr2 += 1\ncallx r2\nexit\ng: r0 = 1\nexit\nr0 = 2\nexit").Insns,
		Funcs: []Subprog{{Name: "f", Start: 0}, {Name: "g", Start: 5}}}
	_, err = c.Call(p)
	wantFault(t, err, 3, "not a subprogram of f")
	if d := DisasmKernel([]Insn{{Op: ClassJMP | SrcX | JmpCALL, Dst: 2}}, 0, nil); !strings.Contains(d, "callx r2") {
		t.Errorf("disassembly %q", d)
	}
}
