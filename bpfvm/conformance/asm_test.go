package conformance

import (
	"bytes"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestAssembleMatchesBpfvm assembles each line of the suite's syntax and
// the same instruction in bpfvm's (the verifier log's) syntax, an
// encoder written independently, and compares the bytes.
func TestAssembleMatchesBpfvm(t *testing.T) {
	cases := []struct{ suite, ours string }{
		{"add %r0, %r1", "r0 += r1"},
		{"add32 %r0, -3", "w0 += -3"},
		{"sub %r2, 0x7fffffff", "r2 -= 2147483647"},
		{"sub32 %r2, %r3", "w2 -= w3"},
		{"mul %r1, 0xffffffff", "r1 *= -1"},
		{"mul32 %r1, %r9", "w1 *= w9"},
		{"div %r0, %r1", "r0 /= r1"},
		{"div32 %r0, 4", "w0 /= 4"},
		{"sdiv %r0, -2", "r0 s/= -2"},
		{"sdiv32 %r0, %r1", "w0 s/= w1"},
		{"mod %r0, %r1", "r0 %= r1"},
		{"mod32 %r0, 3", "w0 %= 3"},
		{"smod %r0, %r1", "r0 s%= r1"},
		{"smod32 %r0, -5", "w0 s%= -5"},
		{"or %r0, 0xf0", "r0 |= 240"},
		{"and32 %r0, %r1", "w0 &= w1"},
		{"xor %r4, %r5", "r4 ^= r5"},
		{"lsh %r0, 63", "r0 <<= 63"},
		{"rsh32 %r0, %r1", "w0 >>= w1"},
		{"arsh %r0, 2", "r0 s>>= 2"},
		{"arsh32 %r0, %r1", "w0 s>>= w1"},
		{"neg %r0", "r0 = -r0"},
		{"neg32 %r3", "w3 = -w3"},
		{"mov %r0, -1", "r0 = -1"},
		{"mov32 %r0, %r1", "w0 = w1"},
		{"movsx864 %r0, %r1", "r0 = (s8)r1"},
		{"movsx1664 %r0, %r1", "r0 = (s16)r1"},
		{"movsx3264 %r0, %r1", "r0 = (s32)r1"},
		{"movsx832 %r0, %r1", "w0 = (s8)w1"},
		{"movsx1632 %r0, %r1", "w0 = (s16)w1"},
		{"le16 %r0", "r0 = le16 r0"},
		{"le64 %r1", "r1 = le64 r1"},
		{"be32 %r0", "r0 = be32 r0"},
		{"swap16 %r0", "r0 = bswap16 r0"},
		{"bswap64 %r2", "r2 = bswap64 r2"},
		{"lddw %r0, 0x123456789abcdef0", "r0 = 0x123456789abcdef0 ll"},
		{"lddw %r1, -2", "r1 = -2 ll"},
		{"lddw %r1, 2147483648", "r1 = 0x80000000 ll"},
		{"ldxb %r0, [%r1+2]", "r0 = *(u8 *)(r1 +2)"},
		{"ldxh %r0, [%r1-4]", "r0 = *(u16 *)(r1 -4)"},
		{"ldxw %r0, [%r10]", "r0 = *(u32 *)(r10 +0)"},
		{"ldxdw %r3, [%r1+0x10]", "r3 = *(u64 *)(r1 +16)"},
		{"ldxsb %r0, [%r1+1]", "r0 = *(s8 *)(r1 +1)"},
		{"ldxsh %r0, [%r1+2]", "r0 = *(s16 *)(r1 +2)"},
		{"ldxsw %r0, [%r1+4]", "r0 = *(s32 *)(r1 +4)"},
		{"stb [%r1+2], 0x11", "*(u8 *)(r1 +2) = 17"},
		{"sth [%r1+2], -1", "*(u16 *)(r1 +2) = -1"},
		{"stw [%r10-8], 7", "*(u32 *)(r10 -8) = 7"},
		{"stdw [%r1], 0xffffffff", "*(u64 *)(r1 +0) = -1"},
		{"stxb [%r1+2], %r3", "*(u8 *)(r1 +2) = r3"},
		{"stxh [%r1+2], %r3", "*(u16 *)(r1 +2) = r3"},
		{"stxw [%r1+2], %r3", "*(u32 *)(r1 +2) = r3"},
		{"stxdw [%r10-8], %r3", "*(u64 *)(r10 -8) = r3"},
		{"lock add [%r1+0], %r2", "lock *(u64 *)(r1 +0) += r2"},
		{"lock add32 [%r1+4], %r2", "lock *(u32 *)(r1 +4) += r2"},
		{"lock or [%r1], %r2", "lock *(u64 *)(r1 +0) |= r2"},
		{"lock and32 [%r1], %r2", "lock *(u32 *)(r1 +0) &= r2"},
		{"lock xor [%r1], %r2", "lock *(u64 *)(r1 +0) ^= r2"},
		{"lock fetch add [%r1], %r2", "r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)"},
		{"lock fetch add32 [%r1], %r2", "r2 = atomic_fetch_add((u32 *)(r1 +0), r2)"},
		{"lock fetch or [%r1], %r2", "r2 = atomic64_fetch_or((u64 *)(r1 +0), r2)"},
		{"lock fetch and [%r1], %r2", "r2 = atomic64_fetch_and((u64 *)(r1 +0), r2)"},
		{"lock fetch xor32 [%r1], %r2", "r2 = atomic_fetch_xor((u32 *)(r1 +0), r2)"},
		{"lock xchg [%r1], %r2", "r2 = atomic64_xchg((u64 *)(r1 +0), r2)"},
		{"lock xchg32 [%r1], %r2", "r2 = atomic_xchg((u32 *)(r1 +0), r2)"},
		{"lock cmpxchg [%r1], %r2", "r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)"},
		{"lock cmpxchg32 [%r1], %r2", "r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)"},
		{"call 1", "call 1"},
		{"exit", "exit"},
	}
	for _, c := range cases {
		got, err := Assemble(c.suite)
		if err != nil {
			t.Errorf("%q: %v", c.suite, err)
			continue
		}
		insns, err := bpfvm.Assemble(c.ours)
		if err != nil {
			t.Fatalf("bpfvm %q: %v", c.ours, err)
		}
		var want []byte
		for _, in := range insns {
			want = in.Encode(want)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%q: % x, want % x (%q)", c.suite, got, want, c.ours)
		}
	}
}

// TestAssembleJumps checks jump targets (offsets and labels, the default
// "exit" label), 32-bit jumps, ja32's immediate, local calls and callx.
func TestAssembleJumps(t *testing.T) {
	src := `mov %r0, 0
jeq %r1, 0x1, L1
jsgt32 %r1, %r2, +1
ja exit
L1:
lddw %r2, 1
ja32 L2
call local f
L2:
jne %r0, -1, -2
exit
f:
call %r3
exit`
	got, err := Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []bpfvm.Insn{
		{Op: bpfvm.ClassALU64 | bpfvm.AluMOV},
		{Op: bpfvm.ClassJMP | bpfvm.JmpJEQ, Dst: 1, Imm: 1, Off: 2},
		{Op: bpfvm.ClassJMP32 | bpfvm.JmpJSGT | bpfvm.SrcX, Dst: 1, Src: 2, Off: 1},
		{Op: bpfvm.ClassJMP | bpfvm.JmpJA, Off: 5}, // to the first exit, slot 9
		{Op: bpfvm.ClassLD | bpfvm.SizeDW | bpfvm.ModeIMM, Dst: 2, Imm: 1}, {},
		{Op: bpfvm.ClassJMP32 | bpfvm.JmpJA, Imm: 1},
		{Op: bpfvm.ClassJMP | bpfvm.JmpCALL, Src: bpfvm.CallLocal, Imm: 2},
		{Op: bpfvm.ClassJMP | bpfvm.JmpJNE, Imm: -1, Off: -2},
		{Op: bpfvm.ClassJMP | bpfvm.JmpEXIT},
		{Op: bpfvm.ClassJMP | bpfvm.JmpCALL | bpfvm.SrcX, Dst: 3},
		{Op: bpfvm.ClassJMP | bpfvm.JmpEXIT},
	}
	var wantB []byte
	for _, in := range want {
		wantB = in.Encode(wantB)
	}
	if !bytes.Equal(got, wantB) {
		t.Errorf("got\n% x\nwant\n% x", got, wantB)
	}
}

func TestAssembleErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"mov %r0, 1\nfoo %r0\nexit", "line 2: unknown instruction \"foo\""},
		{"mov %r16, 1", "line 1: \"%r16\" is not a register"},
		{"mov r0, 1", "line 1: \"r0\" is not a register"},
		{"mov %r0", "line 1: mov takes 2 operands, found 1"},
		{"mov %r0, 0x100000000", "immediate 0x100000000 out of the 32-bit range"},
		{"mov %r0, 2147483648", "immediate 2147483648 out of the 32-bit range"},
		{"ldxw %r0, [%r1+32768]", "offset +32768 out of the 16-bit range"},
		{"ldxw %r0, %r1", "is not a memory operand"},
		{"ja nowhere\nexit", "line 1: undefined label \"nowhere\""},
		{"L:\nL:\nexit", "line 2: label \"L\" defined twice"},
		{"L: exit", "put the instruction on the next line"},
		{"lock nand [%r1], %r2", "unknown atomic operation \"nand\""},
		{"call far 1", "call: unknown kind \"far\""},
		{"mov %r0, x12", "\"x12\" is not a number"},
	}
	for _, c := range cases {
		_, err := Assemble(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
	}
}
