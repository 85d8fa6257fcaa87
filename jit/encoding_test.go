package jit

import (
	"bytes"
	"testing"
)

// TestEncoding checks the encoder against the bytes llvm-mc 19 produces for
// the same instructions (llvm-mc --x86-asm-syntax=intel -show-encoding).
// Where llvm-mc encodes [reg] with no displacement (mod 00), the encoder
// always writes a zero 8-bit displacement (mod 01), an equivalent form;
// those rows are marked "disp8 0".
func TestEncoding(t *testing.T) {
	tests := []struct {
		asm  string
		emit func(a *buf)
		want []byte
	}{
		{"mov rax, rbx", func(a *buf) { a.movRR(true, rax, rbx) }, []byte{0x48, 0x89, 0xd8}},
		{"mov r8d, r13d", func(a *buf) { a.movRR(false, r8, r13) }, []byte{0x45, 0x89, 0xe8}},
		{"add rdi, rsi", func(a *buf) { a.aluRR(aluAdd, true, rdi, rsi) }, []byte{0x48, 0x01, 0xf7}},
		{"add r8d, 5", func(a *buf) { a.aluRI(aluAdd, false, r8, 5) }, []byte{0x41, 0x83, 0xc0, 0x05}},
		{"sub r10, 1000", func(a *buf) { a.aluRI(aluSub, true, r10, 1000) }, []byte{0x49, 0x81, 0xea, 0xe8, 0x03, 0x00, 0x00}},
		{"cmp r11, qword ptr [r12+0x28]", func(a *buf) { a.aluRM(aluCmp, true, r11, m(r12, 0x28)) }, []byte{0x4d, 0x3b, 0x5c, 0x24, 0x28}},
		{"cmp r11d, -1", func(a *buf) { a.aluRI(aluCmp, false, r11, -1) }, []byte{0x41, 0x83, 0xfb, 0xff}},
		{"mov rax, qword ptr [rbp-8]", func(a *buf) { a.load(8, rax, m(rbp, -8)) }, []byte{0x48, 0x8b, 0x45, 0xf8}},
		{"mov r12, qword ptr [rsp+8]", func(a *buf) { a.load(8, r12, m(rsp, 8)) }, []byte{0x4c, 0x8b, 0x64, 0x24, 0x08}},
		{"mov qword ptr [r13], r14", func(a *buf) { a.store(8, m(r13, 0), r14) }, []byte{0x4d, 0x89, 0x75, 0x00}},
		{"movzx eax, byte ptr [rsi+3]", func(a *buf) { a.load(1, rax, m(rsi, 3)) }, []byte{0x0f, 0xb6, 0x46, 0x03}},
		{"movsx rax, byte ptr [rdi] (disp8 0)", func(a *buf) { a.loadSX(1, rax, m(rdi, 0)) }, []byte{0x48, 0x0f, 0xbe, 0x47, 0x00}},
		{"mov byte ptr [rdi+1], sil", func(a *buf) { a.store(1, m(rdi, 1), rsi) }, []byte{0x40, 0x88, 0x77, 0x01}},
		{"mov word ptr [rax+2], dx", func(a *buf) { a.store(2, m(rax, 2), rdx) }, []byte{0x66, 0x89, 0x50, 0x02}},
		{"mov qword ptr [rbx+8], -1", func(a *buf) { a.storeI(8, m(rbx, 8), -1) }, []byte{0x48, 0xc7, 0x43, 0x08, 0xff, 0xff, 0xff, 0xff}},
		{"mov byte ptr [rcx+300], 7", func(a *buf) { a.storeI(1, m(rcx, 300), 7) }, []byte{0xc6, 0x81, 0x2c, 0x01, 0x00, 0x00, 0x07}},
		{"mov qword ptr [r12+0x10], 5", func(a *buf) { a.storeI(8, m(r12, 0x10), 5) }, []byte{0x49, 0xc7, 0x44, 0x24, 0x10, 0x05, 0x00, 0x00, 0x00}},
		{"lea r11, [rbp-16]", func(a *buf) { a.lea(r11, m(rbp, -16)) }, []byte{0x4c, 0x8d, 0x5d, 0xf0}},
		{"imul rax, rcx", func(a *buf) { a.imulRR(true, rax, rcx) }, []byte{0x48, 0x0f, 0xaf, 0xc1}},
		{"imul r9d, r9d, 1000", func(a *buf) { a.imulRI(false, r9, 1000) }, []byte{0x45, 0x69, 0xc9, 0xe8, 0x03, 0x00, 0x00}},
		{"shl rdx, 3", func(a *buf) { a.shiftRI(shShl, true, rdx, 3) }, []byte{0x48, 0xc1, 0xe2, 0x03}},
		{"sar r15d, cl", func(a *buf) { a.shiftRCL(shSar, false, r15) }, []byte{0x41, 0xd3, 0xff}},
		{"neg r13", func(a *buf) { a.neg(true, r13) }, []byte{0x49, 0xf7, 0xdd}},
		{"div r11", func(a *buf) { a.div(true, r11) }, []byte{0x49, 0xf7, 0xf3}},
		{"idiv r11d", func(a *buf) { a.idiv(false, r11) }, []byte{0x41, 0xf7, 0xfb}},
		{"cqo", func(a *buf) { a.signExtendAX(true) }, []byte{0x48, 0x99}},
		{"xorps xmm1, xmm1", func(a *buf) { a.xorpsZero(1) }, []byte{0x0f, 0x57, 0xc9}},
		{"cvtsi2sd xmm1, r11", func(a *buf) { a.cvtsi2sd(1, r11) }, []byte{0xf2, 0x49, 0x0f, 0x2a, 0xcb}},
		{"cvtsi2sd xmm0, rcx", func(a *buf) { a.cvtsi2sd(0, rcx) }, []byte{0xf2, 0x48, 0x0f, 0x2a, 0xc1}},
		{"divsd xmm0, xmm1", func(a *buf) { a.divsd(0, 1) }, []byte{0xf2, 0x0f, 0x5e, 0xc1}},
		{"cvttsd2si r11, xmm0", func(a *buf) { a.cvttsd2si(r11, 0) }, []byte{0xf2, 0x4c, 0x0f, 0x2c, 0xd8}},
		{"cvttsd2si rax, xmm1", func(a *buf) { a.cvttsd2si(rax, 1) }, []byte{0xf2, 0x48, 0x0f, 0x2c, 0xc1}},
		{"bswap rbx", func(a *buf) { a.bswap(true, rbx) }, []byte{0x48, 0x0f, 0xcb}},
		{"bswap r9d", func(a *buf) { a.bswap(false, r9) }, []byte{0x41, 0x0f, 0xc9}},
		{"rol si, 8", func(a *buf) { a.rol16by8(rsi) }, []byte{0x66, 0xc1, 0xc6, 0x08}},
		{"movzx esi, si", func(a *buf) { a.movzx16(rsi, rsi) }, []byte{0x0f, 0xb7, 0xf6}},
		{"movsxd rax, ecx", func(a *buf) { a.movsxRR(true, 32, rax, rcx) }, []byte{0x48, 0x63, 0xc1}},
		{"movsx eax, dil", func(a *buf) { a.movsxRR(false, 8, rax, rdi) }, []byte{0x40, 0x0f, 0xbe, 0xc7}},
		{"lock xadd qword ptr [r11], rdi (disp8 0)", func(a *buf) { a.lockXadd(true, m(r11, 0), rdi) }, []byte{0xf0, 0x49, 0x0f, 0xc1, 0x7b, 0x00}},
		{"lock cmpxchg dword ptr [r11], ecx (disp8 0)", func(a *buf) { a.lockCmpxchg(false, m(r11, 0), rcx) }, []byte{0xf0, 0x41, 0x0f, 0xb1, 0x4b, 0x00}},
		{"lock add qword ptr [r11], rax (disp8 0)", func(a *buf) { a.lockAluMR(aluAdd, true, m(r11, 0), rax) }, []byte{0xf0, 0x49, 0x01, 0x43, 0x00}},
		{"lock xchg qword ptr [r11], rsi (disp8 0)", func(a *buf) { a.lockXchg(true, m(r11, 0), rsi) }, []byte{0xf0, 0x49, 0x87, 0x73, 0x00}},
		{"movsxd rcx, dword ptr [r11+rcx*4] (disp8 0)", func(a *buf) { a.loadSX(4, rcx, mi(r11, rcx, 4, 0)) }, []byte{0x49, 0x63, 0x4c, 0x8b, 0x00}},
		{"jmp r11", func(a *buf) { a.jmpR(r11) }, []byte{0x41, 0xff, 0xe3}},
		{"push rbp; pop rbp; ret", func(a *buf) { a.push(rbp); a.pop(rbp); a.ret() }, []byte{0x55, 0x5d, 0xc3}},
		{"mov eax, 42", func(a *buf) { a.movRI(rax, 42) }, []byte{0xb8, 0x2a, 0x00, 0x00, 0x00}},
		{"movabs r10, 1<<40", func(a *buf) { a.movRI(r10, 1<<40) }, []byte{0x49, 0xba, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}},
		{"mov rcx, -1", func(a *buf) { a.movRI(rcx, ^uint64(0)) }, []byte{0x48, 0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff}},
		{"test r11, r11", func(a *buf) { a.testRR(true, r11, r11) }, []byte{0x4d, 0x85, 0xdb}},
		{"test edi, 0x100", func(a *buf) { a.testRI(false, rdi, 0x100) }, []byte{0xf7, 0xc7, 0x00, 0x01, 0x00, 0x00}},
		{"lea r11, [rip+0]", func(a *buf) { a.lea(r11, mem{rip: true}) }, []byte{0x4c, 0x8d, 0x1d, 0x00, 0x00, 0x00, 0x00}},
		{"je rel32 0; jmp rel32 0", func(a *buf) { a.jcc(ccE); a.jmp() }, []byte{0x0f, 0x84, 0, 0, 0, 0, 0xe9, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		var a buf
		tt.emit(&a)
		if !bytes.Equal(a.b, tt.want) {
			t.Errorf("%s: % x, want % x", tt.asm, a.b, tt.want)
		}
	}
}
