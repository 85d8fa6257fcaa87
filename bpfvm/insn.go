package bpfvm

import (
	"encoding/binary"
	"fmt"
)

// Insn is one 8-byte BPF instruction slot, decoded into its fields (RFC 9669
// section 3). A 64-bit immediate load (LD_IMM64) occupies two slots: the
// second has Op == 0 and carries the upper 32 bits of the immediate in Imm.
type Insn struct {
	Op  uint8 // opcode: class | source | operation (or size | mode)
	Dst uint8 // destination register, 0..10
	Src uint8 // source register, or pseudo-source kind for calls and LD_IMM64
	Off int16 // signed offset
	Imm int32 // signed immediate
}

// Instruction classes (the 3 low bits of Op).
const (
	ClassLD    = 0x00
	ClassLDX   = 0x01
	ClassST    = 0x02
	ClassSTX   = 0x03
	ClassALU   = 0x04
	ClassJMP   = 0x05
	ClassJMP32 = 0x06
	ClassALU64 = 0x07
)

// Source bit for ALU and JMP classes.
const (
	SrcK = 0x00 // use the 32-bit immediate
	SrcX = 0x08 // use the source register
)

// ALU operations (the 4 high bits of Op).
const (
	AluADD  = 0x00
	AluSUB  = 0x10
	AluMUL  = 0x20
	AluDIV  = 0x30 // Off == 1: signed division (SDIV)
	AluOR   = 0x40
	AluAND  = 0x50
	AluLSH  = 0x60
	AluRSH  = 0x70
	AluNEG  = 0x80
	AluMOD  = 0x90 // Off == 1: signed modulo (SMOD)
	AluXOR  = 0xa0
	AluMOV  = 0xb0 // Off == 8/16/32: sign-extending move (MOVSX)
	AluARSH = 0xc0
	AluEND  = 0xd0 // byte swap; source bit selects to-BE (or, in ALU64, bswap)
)

// Jump operations (the 4 high bits of Op).
const (
	JmpJA   = 0x00
	JmpJEQ  = 0x10
	JmpJGT  = 0x20
	JmpJGE  = 0x30
	JmpJSET = 0x40
	JmpJNE  = 0x50
	JmpJSGT = 0x60
	JmpJSGE = 0x70
	JmpCALL = 0x80
	JmpEXIT = 0x90
	JmpJLT  = 0xa0
	JmpJLE  = 0xb0
	JmpJSLT = 0xc0
	JmpJSLE = 0xd0
)

// Load and store sizes (bits 3-4 of Op).
const (
	SizeW  = 0x00 // 4 bytes
	SizeH  = 0x08 // 2 bytes
	SizeB  = 0x10 // 1 byte
	SizeDW = 0x18 // 8 bytes
)

// Load and store modes (the 3 high bits of Op).
const (
	ModeIMM    = 0x00 // LD_IMM64 (with SizeDW)
	ModeABS    = 0x20 // legacy packet access; not supported
	ModeIND    = 0x40 // legacy packet access; not supported
	ModeMEM    = 0x60
	ModeMEMSX  = 0x80 // sign-extending load
	ModeATOMIC = 0xc0
)

// Atomic operations, in Imm of an STX|ATOMIC instruction.
const (
	AtomicADD     = 0x00
	AtomicOR      = 0x40
	AtomicAND     = 0x50
	AtomicXOR     = 0xa0
	AtomicFETCH   = 0x01
	AtomicXCHG    = 0xe0 | AtomicFETCH
	AtomicCMPXCHG = 0xf0 | AtomicFETCH
)

// Pseudo sources of LD_IMM64 (Src field), as the kernel defines them.
const (
	PseudoMapFD       = 1 // imm: map fd (here: map index)
	PseudoMapValue    = 2 // imm: map fd, next imm: offset into value
	PseudoBTFID       = 3 // imm: kernel BTF id (here: ksym, resolved by the loader)
	PseudoFunc        = 4 // imm: relative offset of a subprogram
	PseudoMapIdx      = 5 // imm: map index
	PseudoMapIdxValue = 6 // imm: map index, next imm: offset into value
)

// Pseudo sources of CALL (Src field).
const (
	CallHelper = 0 // imm: helper id
	CallLocal  = 1 // imm: pc-relative offset of a subprogram (bpf-to-bpf call)
	CallKfunc  = 2 // imm: kfunc id in the VM's registry (resolved by the loader)
)

// Register numbers.
const (
	R0 = iota
	R1
	R2
	R3
	R4
	R5
	R6
	R7
	R8
	R9
	R10 // read-only frame pointer
)

const (
	// MaxCallFrames is the deepest bpf-to-bpf call chain (kernel: MAX_CALL_FRAMES).
	MaxCallFrames = 8
	// StackSize is the stack of one frame in bytes (kernel: MAX_BPF_STACK).
	StackSize = 512
)

// Class returns the instruction class.
func (i Insn) Class() uint8 { return i.Op & 0x07 }

// IsLdImm64 reports whether i is the first slot of a two-slot 64-bit load.
func (i Insn) IsLdImm64() bool { return i.Op == ClassLD|SizeDW|ModeIMM }

// Encode appends the little-endian 8-byte encoding of i.
func (i Insn) Encode(b []byte) []byte {
	var s [8]byte
	s[0] = i.Op
	s[1] = i.Dst&0x0f | i.Src<<4
	binary.LittleEndian.PutUint16(s[2:], uint16(i.Off))
	binary.LittleEndian.PutUint32(s[4:], uint32(i.Imm))
	return append(b, s[:]...)
}

// DecodeInsns decodes little-endian raw instructions (8 bytes each).
func DecodeInsns(raw []byte) ([]Insn, error) {
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("bpfvm: program is %d bytes, not a multiple of 8", len(raw))
	}
	out := make([]Insn, len(raw)/8)
	for n := range out {
		s := raw[n*8:]
		out[n] = Insn{
			Op:  s[0],
			Dst: s[1] & 0x0f,
			Src: s[1] >> 4,
			Off: int16(binary.LittleEndian.Uint16(s[2:])),
			Imm: int32(binary.LittleEndian.Uint32(s[4:])),
		}
	}
	return out, nil
}
