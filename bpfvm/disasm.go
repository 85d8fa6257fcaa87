package bpfvm

import (
	"fmt"
	"strconv"
	"strings"
)

// This file prints instructions in the syntax of the kernel verifier log
// (kernel/bpf/disasm.c), which Assemble reads back:
//
//	r0 = 1                         w1 = w2               r1 s/= r2
//	r0 = *(u64 *)(r10 -8)          *(u32 *)(r1 +4) = r2  *(u8 *)(r1 +0) = 7
//	lock *(u64 *)(r1 +0) += r2     r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)
//	if r1 > 0x5 goto pc+3          if w1 s< w2 goto pc-4 goto pc+1   gotol pc+1000
//	call bpf_map_lookup_elem#1     call kfunc bpf_iter_num_new#0     call pc+5
//	r1 = 0x1234 ll                 r1 = map[id:0]        r1 = map[id:0][0]+8
//	r0 = (s16)r1                   r0 = be16 r0          r0 = bswap64 r0
//	may_goto pc+2                  exit
//
// Forms the kernel prints identically are disambiguated where Assemble
// needs it: kfunc calls carry the word "kfunc"; the map forms of the
// kernel's fd-based relocations (not used after loading) print as
// map[fd:N]; the other pseudo LD_IMM64 forms print as "func pc+N" (address
// of a subprogram) and "ksym 0x... ll" (a resolved kernel symbol).
//
// An instruction whose encoding is invalid, or whose reserved fields are
// not zero, prints as a raw ".insn op, dst, src, off, imm" line, so that
// printing and re-assembling any instruction sequence is lossless.

var aluOpStr = [16]string{
	AluADD >> 4: "+=", AluSUB >> 4: "-=", AluMUL >> 4: "*=", AluDIV >> 4: "/=",
	AluOR >> 4: "|=", AluAND >> 4: "&=", AluLSH >> 4: "<<=", AluRSH >> 4: ">>=",
	AluMOD >> 4: "%=", AluXOR >> 4: "^=", AluMOV >> 4: "=", AluARSH >> 4: "s>>=",
}

var jmpOpStr = [16]string{
	JmpJEQ >> 4: "==", JmpJGT >> 4: ">", JmpJGE >> 4: ">=", JmpJSET >> 4: "&",
	JmpJNE >> 4: "!=", JmpJSGT >> 4: "s>", JmpJSGE >> 4: "s>=",
	JmpJLT >> 4: "<", JmpJLE >> 4: "<=", JmpJSLT >> 4: "s<", JmpJSLE >> 4: "s<=",
}

var sizeStr = [4]string{SizeW >> 3: "u32", SizeH >> 3: "u16", SizeB >> 3: "u8", SizeDW >> 3: "u64"}
var sizeSxStr = [4]string{SizeW >> 3: "s32", SizeH >> 3: "s16", SizeB >> 3: "s8", SizeDW >> 3: ""}

var atomicOpName = map[int32]string{AtomicADD: "add", AtomicOR: "or", AtomicAND: "and", AtomicXOR: "xor"}

// JmpJCOND is the jump operation of may_goto (BPF_JCOND), encoded with
// class JMP, source K and Src 0 (BPF_MAY_GOTO).
const JmpJCOND = 0xe0

// String returns the instruction in verifier-log syntax. A 64-bit load is
// shown with the lower half of its immediate only; use Disasm to see both
// slots.
func (i Insn) String() string {
	return Disasm([]Insn{i}, 0, nil)
}

// Disasm returns instruction pc of insns in verifier-log syntax, naming
// helpers and kfuncs from reg when it is not nil. A 64-bit immediate load
// is read from slots pc and pc+1.
func Disasm(insns []Insn, pc int, reg *Registry) string {
	if pc < 0 || pc >= len(insns) {
		return fmt.Sprintf("<pc %d out of range>", pc)
	}
	if s, ok := disasm(insns, pc, reg); ok {
		return s
	}
	return rawInsn(insns[pc])
}

// DisasmKernel is Disasm in the kernel's log format, the opcode in hex
// before the text: "(b7) r0 = 1".
func DisasmKernel(insns []Insn, pc int, reg *Registry) string {
	if pc < 0 || pc >= len(insns) {
		return fmt.Sprintf("<pc %d out of range>", pc)
	}
	return fmt.Sprintf("(%02x) %s", insns[pc].Op, Disasm(insns, pc, reg))
}

// Listing returns the whole program, one instruction a line, each preceded
// by its index ("12: r0 = 1"); the second slot of a 64-bit load is skipped.
// Assemble reads the listing back (it ignores the indices).
func Listing(insns []Insn, reg *Registry) string {
	var b strings.Builder
	for pc := 0; pc < len(insns); pc++ {
		s, ok := disasm(insns, pc, reg)
		if !ok {
			s = rawInsn(insns[pc])
		}
		fmt.Fprintf(&b, "%d: %s\n", pc, s)
		if ok && insnWidth(insns, pc) == 2 {
			pc++
		}
	}
	return b.String()
}

// insnWidth is 2 for a well-formed 64-bit immediate load (both slots
// present, second slot with zero fields apart from Imm), 1 otherwise.
func insnWidth(insns []Insn, pc int) int {
	if insns[pc].IsLdImm64() && pc+1 < len(insns) {
		n := insns[pc+1]
		if n.Op == 0 && n.Dst == 0 && n.Src == 0 && n.Off == 0 {
			return 2
		}
	}
	return 1
}

func rawInsn(i Insn) string {
	return fmt.Sprintf(".insn 0x%02x, %d, %d, %d, %d", i.Op, i.Dst, i.Src, i.Off, i.Imm)
}

func regName(w bool, r uint8) string {
	if w {
		return "w" + strconv.Itoa(int(r))
	}
	return "r" + strconv.Itoa(int(r))
}

func signedOff(off int16) string {
	if off < 0 {
		return strconv.Itoa(int(off))
	}
	return "+" + strconv.Itoa(int(off))
}

func memRef(size string, base uint8, off int16) string {
	return "*(" + size + " *)(r" + strconv.Itoa(int(base)) + " " + signedOff(off) + ")"
}

// disasm returns the text of insns[pc] and true, or false if the encoding
// is invalid or has reserved fields set.
func disasm(insns []Insn, pc int, reg *Registry) (string, bool) {
	return disasmf(insns, pc, reg, fmt.Sprintf)
}

// validInsn reports whether insns[pc] is a valid encoding, as disasm
// would, without formatting it.
// ValidInsn reports whether insns[pc] is a well-formed instruction (the
// first slot of a complete LD_IMM64 included), as the interpreter decodes
// it; engines fault on the others when they are reached.
func ValidInsn(insns []Insn, pc int) bool { return validInsn(insns, pc) }

func validInsn(insns []Insn, pc int) bool {
	_, ok := disasmf(insns, pc, nil, func(string, ...any) string { return "" })
	return ok
}

func disasmf(insns []Insn, pc int, reg *Registry, sprintf func(string, ...any) string) (string, bool) {
	i := insns[pc]
	if i.Dst > 10 {
		return "", false
	}
	op := i.Op & 0xf0
	switch i.Class() {
	case ClassALU, ClassALU64:
		w := i.Class() == ClassALU
		x := i.Op&SrcX != 0
		switch op {
		case AluNEG:
			if x || i.Src != 0 || i.Off != 0 || i.Imm != 0 {
				return "", false
			}
			return sprintf("%s = -%s", regName(w, i.Dst), regName(w, i.Dst)), true
		case AluEND:
			if i.Src != 0 || i.Off != 0 || (i.Imm != 16 && i.Imm != 32 && i.Imm != 64) {
				return "", false
			}
			if !w {
				if x {
					return "", false
				}
				return sprintf("r%d = bswap%d r%d", i.Dst, i.Imm, i.Dst), true
			}
			kind := "le"
			if x {
				kind = "be"
			}
			return sprintf("r%d = %s%d r%d", i.Dst, kind, i.Imm, i.Dst), true
		case 0xe0, 0xf0:
			return "", false
		}
		s := aluOpStr[op>>4]
		switch {
		case op == AluDIV || op == AluMOD:
			if i.Off == 1 {
				s = "s" + s
			} else if i.Off != 0 {
				return "", false
			}
		case op == AluMOV && x && i.Off != 0:
			if i.Src > 10 || i.Imm != 0 || !(i.Off == 8 || i.Off == 16 || i.Off == 32 && !w) {
				return "", false
			}
			return sprintf("%s = (s%d)%s", regName(w, i.Dst), i.Off, regName(w, i.Src)), true
		case i.Off != 0:
			return "", false
		}
		if x {
			if i.Imm != 0 || i.Src > 10 {
				return "", false
			}
			return sprintf("%s %s %s", regName(w, i.Dst), s, regName(w, i.Src)), true
		}
		if i.Src != 0 {
			return "", false
		}
		return sprintf("%s %s %d", regName(w, i.Dst), s, i.Imm), true

	case ClassJMP, ClassJMP32:
		w := i.Class() == ClassJMP32
		x := i.Op&SrcX != 0
		switch op {
		case JmpJA:
			if x || i.Src != 0 || i.Dst != 0 {
				return "", false
			}
			if w {
				if i.Off != 0 {
					return "", false
				}
				return sprintf("gotol pc%+d", i.Imm), true
			}
			if i.Imm != 0 {
				return "", false
			}
			return sprintf("goto pc%+d", i.Off), true
		case JmpCALL:
			if !w && x && i.Src == 0 && i.Off == 0 && i.Imm == 0 {
				return sprintf("callx r%d", i.Dst), true
			}
			if w || x || i.Dst != 0 || i.Off != 0 {
				return "", false
			}
			switch i.Src {
			case CallHelper:
				name := "unknown"
				if reg != nil {
					if h := reg.Helper(i.Imm); h != nil && h.Name != "" {
						name = h.Name
					}
				}
				return sprintf("call %s#%d", name, i.Imm), true
			case CallLocal:
				return sprintf("call pc%+d", i.Imm), true
			case CallKfunc:
				name := "unknown"
				if reg != nil {
					if k := reg.Kfunc(i.Imm); k != nil && k.Name != "" {
						name = k.Name
					}
				}
				return sprintf("call kfunc %s#%d", name, i.Imm), true
			}
			return "", false
		case JmpEXIT:
			if w || x || i.Dst != 0 || i.Src != 0 || i.Off != 0 || i.Imm != 0 {
				return "", false
			}
			return "exit", true
		case JmpJCOND:
			if w || x || i.Dst != 0 || i.Src != 0 || i.Imm != 0 {
				return "", false
			}
			return sprintf("may_goto pc%+d", i.Off), true
		}
		s := jmpOpStr[op>>4]
		if s == "" {
			return "", false
		}
		if x {
			if i.Imm != 0 || i.Src > 10 {
				return "", false
			}
			return sprintf("if %s %s %s goto pc%+d", regName(w, i.Dst), s, regName(w, i.Src), i.Off), true
		}
		if i.Src != 0 {
			return "", false
		}
		return sprintf("if %s %s 0x%x goto pc%+d", regName(w, i.Dst), s, uint32(i.Imm), i.Off), true

	case ClassLDX:
		size := (i.Op >> 3) & 3
		switch i.Op & 0xe0 {
		case ModeMEM:
			if i.Imm != 0 || i.Src > 10 {
				return "", false
			}
			return sprintf("r%d = %s", i.Dst, memRef(sizeStr[size], i.Src, i.Off)), true
		case ModeMEMSX:
			if i.Imm != 0 || i.Src > 10 || sizeSxStr[size] == "" {
				return "", false
			}
			return sprintf("r%d = %s", i.Dst, memRef(sizeSxStr[size], i.Src, i.Off)), true
		}
		return "", false

	case ClassST:
		if i.Op&0xe0 != ModeMEM || i.Src != 0 {
			return "", false
		}
		return sprintf("%s = %d", memRef(sizeStr[(i.Op>>3)&3], i.Dst, i.Off), i.Imm), true

	case ClassSTX:
		size := (i.Op >> 3) & 3
		if i.Src > 10 {
			return "", false
		}
		switch i.Op & 0xe0 {
		case ModeMEM:
			if i.Imm != 0 {
				return "", false
			}
			return sprintf("%s = r%d", memRef(sizeStr[size], i.Dst, i.Off), i.Src), true
		case ModeATOMIC:
			if i.Op&0x18 != SizeW && i.Op&0x18 != SizeDW {
				return "", false
			}
			bits := ""
			if i.Op&0x18 == SizeDW {
				bits = "64"
			}
			ref := sprintf("(%s *)(r%d %s)", sizeStr[size], i.Dst, signedOff(i.Off))
			switch i.Imm {
			case AtomicADD, AtomicOR, AtomicAND, AtomicXOR:
				return sprintf("lock %s %s r%d", memRef(sizeStr[size], i.Dst, i.Off), aluOpStr[i.Imm>>4], i.Src), true
			case AtomicADD | AtomicFETCH, AtomicOR | AtomicFETCH, AtomicAND | AtomicFETCH, AtomicXOR | AtomicFETCH:
				return sprintf("r%d = atomic%s_fetch_%s(%s, r%d)", i.Src, bits, atomicOpName[i.Imm&^AtomicFETCH], ref, i.Src), true
			case AtomicXCHG:
				return sprintf("r%d = atomic%s_xchg(%s, r%d)", i.Src, bits, ref, i.Src), true
			case AtomicCMPXCHG:
				return sprintf("r0 = atomic%s_cmpxchg(%s, r0, r%d)", bits, ref, i.Src), true
			}
		}
		return "", false

	case ClassLD:
		size := (i.Op >> 3) & 3
		switch i.Op & 0xe0 {
		case ModeABS:
			if i.Dst != 0 || i.Src != 0 || i.Off != 0 || size == SizeDW>>3 {
				return "", false
			}
			return sprintf("r0 = *(%s *)skb[%d]", sizeStr[size], i.Imm), true
		case ModeIND:
			if i.Dst != 0 || i.Src > 10 || i.Off != 0 || size == SizeDW>>3 {
				return "", false
			}
			return sprintf("r0 = *(%s *)skb[r%d %s]", sizeStr[size], i.Src, signedImm(i.Imm)), true
		case ModeIMM:
			if size != SizeDW>>3 || i.Off != 0 || insnWidth(insns, pc) != 2 {
				return "", false
			}
			hi := insns[pc+1].Imm
			imm64 := uint64(uint32(i.Imm)) | uint64(uint32(hi))<<32
			switch i.Src {
			case 0:
				return sprintf("r%d = %#x ll", i.Dst, imm64), true
			case PseudoMapFD:
				if hi != 0 {
					return "", false
				}
				return sprintf("r%d = map[fd:%d]", i.Dst, i.Imm), true
			case PseudoMapValue:
				return sprintf("r%d = map[fd:%d][0]+%d", i.Dst, i.Imm, uint32(hi)), true
			case PseudoBTFID:
				return sprintf("r%d = ksym %#x ll", i.Dst, imm64), true
			case PseudoFunc:
				if hi != 0 {
					return "", false
				}
				return sprintf("r%d = func pc%+d", i.Dst, i.Imm), true
			case PseudoMapIdx:
				if hi != 0 {
					return "", false
				}
				return sprintf("r%d = map[id:%d]", i.Dst, i.Imm), true
			case PseudoMapIdxValue:
				return sprintf("r%d = map[id:%d][0]+%d", i.Dst, i.Imm, uint32(hi)), true
			}
		}
		return "", false
	}
	return "", false
}

func signedImm(v int32) string {
	if v < 0 {
		return "- " + strconv.FormatInt(-int64(v), 10)
	}
	return "+ " + strconv.Itoa(int(v))
}
