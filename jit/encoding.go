package jit

import "encoding/binary"

// This file encodes amd64 instructions: bytes only, no knowledge of BPF.
// Each method appends one instruction to the buffer. The forms are the few
// the lowering needs (as wazero's instr_encoding.go, reduced); encoding_test
// checks them against the bytes an assembler produces.

// amd64 general-purpose registers, by their encoding number.
const (
	rax = 0
	rcx = 1
	rdx = 2
	rbx = 3
	rsp = 4
	rbp = 5
	rsi = 6
	rdi = 7
	r8  = 8
	r9  = 9
	r10 = 10
	r11 = 11
	r12 = 12
	r13 = 13
	r14 = 14
	r15 = 15
)

// Condition codes (the low nibble of Jcc).
const (
	ccB  = 0x2 // unsigned <
	ccAE = 0x3 // unsigned >=
	ccE  = 0x4
	ccNE = 0x5
	ccBE = 0x6 // unsigned <=
	ccA  = 0x7 // unsigned >
	ccL  = 0xc // signed <
	ccGE = 0xd
	ccLE = 0xe
	ccG  = 0xf
)

// Group-1 ALU operations: the /digit of 0x81/0x83 and (digit<<3)|1 is the
// register form opcode.
const (
	aluAdd = 0
	aluOr  = 1
	aluAnd = 4
	aluSub = 5
	aluXor = 6
	aluCmp = 7
)

// Shift operations: the /digit of 0xC1/0xD3.
const (
	shRol = 0
	shShl = 4
	shShr = 5
	shSar = 7
)

// mem is a memory operand [base + index*scale + disp], or [rip + disp]
// when rip is set.
type mem struct {
	base     byte
	index    byte
	scale    byte // 1, 2, 4, 8
	hasIndex bool
	disp     int32
	rip      bool
}

func m(base byte, disp int32) mem { return mem{base: base, disp: disp} }

func mi(base, index, scale byte, disp int32) mem {
	return mem{base: base, index: index, scale: scale, hasIndex: true, disp: disp}
}

// buf is the code being assembled.
type buf struct {
	b []byte
}

func (a *buf) byte1(v ...byte) { a.b = append(a.b, v...) }
func (a *buf) u16(v uint16)    { a.b = binary.LittleEndian.AppendUint16(a.b, v) }
func (a *buf) u32(v uint32)    { a.b = binary.LittleEndian.AppendUint32(a.b, v) }
func (a *buf) u64(v uint64)    { a.b = binary.LittleEndian.AppendUint64(a.b, v) }
func (a *buf) len() int        { return len(a.b) }

// rex emits a REX prefix when needed: w selects 64-bit operands; byteRegs
// forces one so that registers 4..7 mean spl..dil, not ah..bh.
func (a *buf) rex(w bool, r, x, b byte, force bool) {
	v := byte(0x40)
	if w {
		v |= 8
	}
	if r&8 != 0 {
		v |= 4
	}
	if x&8 != 0 {
		v |= 2
	}
	if b&8 != 0 {
		v |= 1
	}
	if v != 0x40 || force {
		a.byte1(v)
	}
}

// rr emits [pfx] REX op ModRM for a register-register form: reg in the
// ModRM reg field, rm in its r/m field.
func (a *buf) rr(pfx byte, w bool, op []byte, reg, rm byte, byteRegs bool) {
	if pfx != 0 {
		a.byte1(pfx)
	}
	a.rex(w, reg, 0, rm, byteRegs && (reg&^3 == 4 || rm&^3 == 4))
	a.byte1(op...)
	a.byte1(0xc0 | (reg&7)<<3 | rm&7)
}

// rm emits [pfx] REX op ModRM [SIB] [disp] for a register-memory form.
// byteReg forces REX when reg is an 8-bit register 4..7.
func (a *buf) rm(pfx byte, w bool, op []byte, reg byte, mm mem, byteReg bool) {
	if pfx != 0 {
		a.byte1(pfx)
	}
	var x byte
	if mm.hasIndex {
		x = mm.index
	}
	base := mm.base
	if mm.rip {
		base = 0
	}
	a.rex(w, reg, x, base, byteReg && reg&^3 == 4)
	a.byte1(op...)
	if mm.rip {
		a.byte1(0x00 | (reg&7)<<3 | 5)
		a.u32(uint32(mm.disp))
		return
	}
	mod := byte(0x80)
	if mm.disp >= -128 && mm.disp <= 127 {
		mod = 0x40
	}
	if mm.hasIndex || base&7 == rsp {
		a.byte1(mod | (reg&7)<<3 | 4)
		idx := byte(4) // none
		if mm.hasIndex {
			idx = mm.index & 7
		}
		sc := byte(0)
		switch mm.scale {
		case 2:
			sc = 1
		case 4:
			sc = 2
		case 8:
			sc = 3
		}
		a.byte1(sc<<6 | idx<<3 | base&7)
	} else {
		a.byte1(mod | (reg&7)<<3 | base&7)
	}
	if mod == 0x40 {
		a.byte1(byte(int8(mm.disp)))
	} else {
		a.u32(uint32(mm.disp))
	}
}

// aluRR: op dst, src (add, or, and, sub, xor, cmp) on 64 or 32 bits.
func (a *buf) aluRR(op byte, w bool, dst, src byte) {
	a.rr(0, w, []byte{op<<3 | 1}, src, dst, false)
}

// aluRI: op dst, imm (sign-extended to 64 bits when w).
func (a *buf) aluRI(op byte, w bool, dst byte, imm int32) {
	if imm >= -128 && imm <= 127 {
		a.rr(0, w, []byte{0x83}, op, dst, false)
		a.byte1(byte(int8(imm)))
		return
	}
	a.rr(0, w, []byte{0x81}, op, dst, false)
	a.u32(uint32(imm))
}

// aluMI: op qword/dword [mem], imm.
func (a *buf) aluMI(op byte, w bool, mm mem, imm int32) {
	if imm >= -128 && imm <= 127 {
		a.rm(0, w, []byte{0x83}, op, mm, false)
		a.byte1(byte(int8(imm)))
		return
	}
	a.rm(0, w, []byte{0x81}, op, mm, false)
	a.u32(uint32(imm))
}

// aluRM: op reg, [mem].
func (a *buf) aluRM(op byte, w bool, reg byte, mm mem) {
	a.rm(0, w, []byte{op<<3 | 3}, reg, mm, false)
}

// testRR: test dst, src.
func (a *buf) testRR(w bool, dst, src byte) { a.rr(0, w, []byte{0x85}, src, dst, false) }

// testRI: test dst, imm32.
func (a *buf) testRI(w bool, dst byte, imm int32) {
	a.rr(0, w, []byte{0xf7}, 0, dst, false)
	a.u32(uint32(imm))
}

// movRR: mov dst, src.
func (a *buf) movRR(w bool, dst, src byte) { a.rr(0, w, []byte{0x89}, src, dst, false) }

// movRI: dst = v, in the shortest form.
func (a *buf) movRI(dst byte, v uint64) {
	switch {
	case v <= 0xffffffff:
		a.rex(false, 0, 0, dst, false)
		a.byte1(0xb8 | dst&7)
		a.u32(uint32(v))
	case int64(v) >= -1<<31 && int64(v) < 1<<31:
		a.rr(0, true, []byte{0xc7}, 0, dst, false)
		a.u32(uint32(v))
	default:
		a.rex(true, 0, 0, dst, false)
		a.byte1(0xb8 | dst&7)
		a.u64(v)
	}
}

// load: dst = [mem] of 1, 2, 4 or 8 bytes, zero-extended.
func (a *buf) load(size int, dst byte, mm mem) {
	switch size {
	case 1:
		a.rm(0, false, []byte{0x0f, 0xb6}, dst, mm, false)
	case 2:
		a.rm(0, false, []byte{0x0f, 0xb7}, dst, mm, false)
	case 4:
		a.rm(0, false, []byte{0x8b}, dst, mm, false)
	default:
		a.rm(0, true, []byte{0x8b}, dst, mm, false)
	}
}

// loadSX: dst = [mem] of 1, 2 or 4 bytes, sign-extended to 64 bits.
func (a *buf) loadSX(size int, dst byte, mm mem) {
	switch size {
	case 1:
		a.rm(0, true, []byte{0x0f, 0xbe}, dst, mm, false)
	case 2:
		a.rm(0, true, []byte{0x0f, 0xbf}, dst, mm, false)
	default:
		a.rm(0, true, []byte{0x63}, dst, mm, false)
	}
}

// store: [mem] = src, 1, 2, 4 or 8 bytes.
func (a *buf) store(size int, mm mem, src byte) {
	switch size {
	case 1:
		a.rm(0, false, []byte{0x88}, src, mm, true)
	case 2:
		a.rm(0x66, false, []byte{0x89}, src, mm, false)
	case 4:
		a.rm(0, false, []byte{0x89}, src, mm, false)
	default:
		a.rm(0, true, []byte{0x89}, src, mm, false)
	}
}

// storeI: [mem] = imm, 1, 2, 4 or 8 bytes (8: imm sign-extended).
func (a *buf) storeI(size int, mm mem, imm int32) {
	switch size {
	case 1:
		a.rm(0, false, []byte{0xc6}, 0, mm, false)
		a.byte1(byte(imm))
	case 2:
		a.rm(0x66, false, []byte{0xc7}, 0, mm, false)
		a.u16(uint16(imm))
	case 4:
		a.rm(0, false, []byte{0xc7}, 0, mm, false)
		a.u32(uint32(imm))
	default:
		a.rm(0, true, []byte{0xc7}, 0, mm, false)
		a.u32(uint32(imm))
	}
}

// lea: dst = address of mem.
func (a *buf) lea(dst byte, mm mem) { a.rm(0, true, []byte{0x8d}, dst, mm, false) }

// imulRR: dst *= src.
func (a *buf) imulRR(w bool, dst, src byte) { a.rr(0, w, []byte{0x0f, 0xaf}, dst, src, false) }

// imulRI: dst = dst * imm.
func (a *buf) imulRI(w bool, dst byte, imm int32) {
	a.rr(0, w, []byte{0x69}, dst, dst, false)
	a.u32(uint32(imm))
}

// shiftRI: shift dst by imm.
func (a *buf) shiftRI(op byte, w bool, dst byte, imm uint8) {
	a.rr(0, w, []byte{0xc1}, op, dst, false)
	a.byte1(imm)
}

// shiftRCL: shift dst by cl.
func (a *buf) shiftRCL(op byte, w bool, dst byte) { a.rr(0, w, []byte{0xd3}, op, dst, false) }

// rol16: rol dst16, 8 (swaps the two low bytes).
func (a *buf) rol16by8(dst byte) {
	a.rr(0x66, false, []byte{0xc1}, shRol, dst, false)
	a.byte1(8)
}

// f7 emits the unary group 3 (neg /3, div /6, idiv /7) on a register.
func (a *buf) f7(digit byte, w bool, r byte) { a.rr(0, w, []byte{0xf7}, digit, r, false) }

func (a *buf) neg(w bool, r byte)  { a.f7(3, w, r) }
func (a *buf) div(w bool, r byte)  { a.f7(6, w, r) }
func (a *buf) idiv(w bool, r byte) { a.f7(7, w, r) }

// signExtendAX: cqo (w) or cdq.
func (a *buf) signExtendAX(w bool) {
	if w {
		a.byte1(0x48)
	}
	a.byte1(0x99)
}

// movzx16: dst32 = zero-extended low 16 bits of src.
func (a *buf) movzx16(dst, src byte) { a.rr(0, false, []byte{0x0f, 0xb7}, dst, src, false) }

// movsxRR: dst = sign-extended low 8, 16 or 32 bits of src; w selects a
// 64-bit destination (32-bit destinations are zero-extended).
func (a *buf) movsxRR(w bool, bits int, dst, src byte) {
	switch bits {
	case 8:
		a.rr(0, w, []byte{0x0f, 0xbe}, dst, src, true)
	case 16:
		a.rr(0, w, []byte{0x0f, 0xbf}, dst, src, false)
	default:
		a.rr(0, true, []byte{0x63}, dst, src, false)
	}
}

// bswap: reverse the bytes of r (32 or 64 bits).
func (a *buf) bswap(w bool, r byte) {
	a.rex(w, 0, 0, r, false)
	a.byte1(0x0f, 0xc8|r&7)
}

// Atomics. lock prefixes every read-modify-write on memory.
const lock = 0xf0

// lockAluMR: lock op [mem], src (add, or, and, xor).
func (a *buf) lockAluMR(op byte, w bool, mm mem, src byte) {
	a.rm(lock, w, []byte{op<<3 | 1}, src, mm, false)
}

// lockXadd: lock xadd [mem], src.
func (a *buf) lockXadd(w bool, mm mem, src byte) { a.rm(lock, w, []byte{0x0f, 0xc1}, src, mm, false) }

// lockCmpxchg: lock cmpxchg [mem], src (compares with rax).
func (a *buf) lockCmpxchg(w bool, mm mem, src byte) {
	a.rm(lock, w, []byte{0x0f, 0xb1}, src, mm, false)
}

// lockXchg: lock xchg [mem], src.
func (a *buf) lockXchg(w bool, mm mem, src byte) { a.rm(lock, w, []byte{0x87}, src, mm, false) }

// jcc emits a conditional jump with a 32-bit displacement and returns
// the offset of that displacement, for patching.
func (a *buf) jcc(cc byte) int {
	a.byte1(0x0f, 0x80|cc)
	a.u32(0)
	return a.len() - 4
}

// jmp emits a jump with a 32-bit displacement; see jcc.
func (a *buf) jmp() int {
	a.byte1(0xe9)
	a.u32(0)
	return a.len() - 4
}

// jmpR: jmp r.
func (a *buf) jmpR(r byte) { a.rr(0, false, []byte{0xff}, 4, r, false) }

// patch sets the displacement at at to reach target.
func (a *buf) patch(at, target int) {
	binary.LittleEndian.PutUint32(a.b[at:], uint32(int32(target-(at+4))))
}

func (a *buf) push(r byte) { a.rex(false, 0, 0, r, false); a.byte1(0x50 | r&7) }
func (a *buf) pop(r byte)  { a.rex(false, 0, 0, r, false); a.byte1(0x58 | r&7) }
func (a *buf) ret()        { a.byte1(0xc3) }

// SSE2 scalar double forms for exact division (lowerDivFP); x is an xmm
// register number (0..15), r a general-purpose register.

// xorpsZero: xorps x, x (zeroes x and breaks its dependencies).
func (a *buf) xorpsZero(x byte) { a.rr(0, false, []byte{0x0f, 0x57}, x, x, false) }

// cvtsi2sd: cvtsi2sd x, r (the signed 64-bit value of r).
func (a *buf) cvtsi2sd(x, r byte) { a.rr(0xf2, true, []byte{0x0f, 0x2a}, x, r, false) }

// divsd: divsd x, y.
func (a *buf) divsd(x, y byte) { a.rr(0xf2, false, []byte{0x0f, 0x5e}, x, y, false) }

// cvttsd2si: cvttsd2si r, x (64-bit, truncating).
func (a *buf) cvttsd2si(r, x byte) { a.rr(0xf2, true, []byte{0x0f, 0x2c}, r, x, false) }
