package bpfvm

import (
	"fmt"
	"math/bits"
)

// The interpreter's decoded form: internal opcodes, the tables that map
// BPF encodings to them, and decode, which translates a Program once.

// dinsn is a decoded instruction.
type dinsn struct {
	op  uint8 // internal opcode
	dst uint8
	src uint8
	a   uint8  // fused ops: the source of the folded move
	off int32  // memory offset, or absolute jump/call target
	imm uint64 // immediate, ready to use (sign- or zero-extended, masked)
}

type icode struct {
	insns   []dinsn  // one per Program instruction, plus the end sentinel
	plain   []dinsn  // the same without fused ops, for single steps
	reasons []string // for opInvalid: indexed by imm
}

// Internal opcodes. The switch in Run compiles to a jump table.
const (
	opInvalid uint8 = iota
	opEnd           // sentinel after the last instruction, and target of wild jumps
	opAdd64K
	opAdd64X
	opSub64K
	opSub64X
	opMul64K
	opMul64X
	opOr64K
	opOr64X
	opAnd64K
	opAnd64X
	opXor64K
	opXor64X
	opMov64K
	opMov64X
	opLsh64K
	opLsh64X
	opRsh64K
	opRsh64X
	opArsh64K
	opArsh64X
	opDiv64K
	opSdiv64K
	opMod64K
	opSmod64K
	opDiv64X
	opSdiv64X
	opMod64X
	opSmod64X
	opAdd32K
	opAdd32X
	opSub32K
	opSub32X
	opMul32K
	opMul32X
	opOr32K
	opOr32X
	opAnd32K
	opAnd32X
	opXor32K
	opXor32X
	opMov32K
	opMov32X
	opLsh32K
	opLsh32X
	opRsh32K
	opRsh32X
	opArsh32K
	opArsh32X
	opDiv32K
	opSdiv32K
	opMod32K
	opSmod32K
	opDiv32X
	opSdiv32X
	opMod32X
	opSmod32X
	opJeq64K
	opJeq64X
	opJne64K
	opJne64X
	opJgt64K
	opJgt64X
	opJge64K
	opJge64X
	opJlt64K
	opJlt64X
	opJle64K
	opJle64X
	opJsgt64K
	opJsgt64X
	opJsge64K
	opJsge64X
	opJslt64K
	opJslt64X
	opJsle64K
	opJsle64X
	opJset64K
	opJset64X
	opJeq32K
	opJeq32X
	opJne32K
	opJne32X
	opJgt32K
	opJgt32X
	opJge32K
	opJge32X
	opJlt32K
	opJlt32X
	opJle32K
	opJle32X
	opJsgt32K
	opJsgt32X
	opJsge32K
	opJsge32X
	opJslt32K
	opJslt32X
	opJsle32K
	opJsle32X
	opJset32K
	opJset32X
	opNeg64
	opNeg32
	opMovsx64s8
	opMovsx64s16
	opMovsx64s32
	opMovsx32s8
	opMovsx32s16
	opTrunc16 // le16
	opTrunc32 // le32
	opNop     // le64
	opSwap16  // be16, bswap16
	opSwap32
	opSwap64
	opJa
	opMayGoto
	opCall
	opKfunc
	opCallLocal
	opCallx
	opExit
	opLdImm64
	opLdx8
	opLdx16
	opLdx32
	opLdx64
	opLdxs8
	opLdxs16
	opLdxs32
	opSt8
	opSt16
	opSt32
	opSt64
	opStx8
	opStx16
	opStx32
	opStx64
	opAtomicAdd32
	opAtomicOr32
	opAtomicAnd32
	opAtomicXor32
	opFetchAdd32
	opFetchOr32
	opFetchAnd32
	opFetchXor32
	opXchg32
	opCmpxchg32
	opAtomicAdd64
	opAtomicOr64
	opAtomicAnd64
	opAtomicXor64
	opFetchAdd64
	opFetchOr64
	opFetchAnd64
	opFetchXor64
	opXchg64
	opCmpxchg64

	// Fused ops: a register move and the ALU operation after it on the
	// same register, dst = a op src, counting as two instructions.
	opFAdd64K // first fused op
	opFAdd64X
	opFSub64K
	opFSub64X
	opFMul64K
	opFMul64X
	opFOr64K
	opFOr64X
	opFAnd64K
	opFAnd64X
	opFXor64K
	opFXor64X
	opFLsh64K
	opFLsh64X
	opFRsh64K
	opFRsh64X
	opFArsh64K
	opFArsh64X
	opFDiv64K
	opFDiv64X
	opFMod64K
	opFMod64X
	opFSdiv64K
	opFSdiv64X
	opFSmod64K
	opFSmod64X
	opFAdd32K
	opFAdd32X
	opFSub32K
	opFSub32X
	opFMul32K
	opFMul32X
	opFOr32K
	opFOr32X
	opFAnd32K
	opFAnd32X
	opFXor32K
	opFXor32X
	opFLsh32K
	opFLsh32X
	opFRsh32K
	opFRsh32X
	opFArsh32K
	opFArsh32X
	opFDiv32K
	opFDiv32X
	opFMod32K
	opFMod32X
	opFSdiv32K
	opFSdiv32X
	opFSmod32K
	opFSmod32X
)

var (
	aluTab [2][16][2]uint8 // [is32][op>>4][x]
	jmpTab [2][16][2]uint8
)

func init() {
	set := func(t *[2][16][2]uint8, w int, op uint8, k, x uint8) { t[w][op>>4] = [2]uint8{k, x} }
	set(&aluTab, 0, AluADD, opAdd64K, opAdd64X)
	set(&aluTab, 0, AluSUB, opSub64K, opSub64X)
	set(&aluTab, 0, AluMUL, opMul64K, opMul64X)
	set(&aluTab, 0, AluDIV, opDiv64K, opDiv64X)
	set(&aluTab, 0, AluOR, opOr64K, opOr64X)
	set(&aluTab, 0, AluAND, opAnd64K, opAnd64X)
	set(&aluTab, 0, AluLSH, opLsh64K, opLsh64X)
	set(&aluTab, 0, AluRSH, opRsh64K, opRsh64X)
	set(&aluTab, 0, AluMOD, opMod64K, opMod64X)
	set(&aluTab, 0, AluXOR, opXor64K, opXor64X)
	set(&aluTab, 0, AluMOV, opMov64K, opMov64X)
	set(&aluTab, 0, AluARSH, opArsh64K, opArsh64X)
	set(&aluTab, 1, AluADD, opAdd32K, opAdd32X)
	set(&aluTab, 1, AluSUB, opSub32K, opSub32X)
	set(&aluTab, 1, AluMUL, opMul32K, opMul32X)
	set(&aluTab, 1, AluDIV, opDiv32K, opDiv32X)
	set(&aluTab, 1, AluOR, opOr32K, opOr32X)
	set(&aluTab, 1, AluAND, opAnd32K, opAnd32X)
	set(&aluTab, 1, AluLSH, opLsh32K, opLsh32X)
	set(&aluTab, 1, AluRSH, opRsh32K, opRsh32X)
	set(&aluTab, 1, AluMOD, opMod32K, opMod32X)
	set(&aluTab, 1, AluXOR, opXor32K, opXor32X)
	set(&aluTab, 1, AluMOV, opMov32K, opMov32X)
	set(&aluTab, 1, AluARSH, opArsh32K, opArsh32X)

	set(&jmpTab, 0, JmpJEQ, opJeq64K, opJeq64X)
	set(&jmpTab, 0, JmpJNE, opJne64K, opJne64X)
	set(&jmpTab, 0, JmpJGT, opJgt64K, opJgt64X)
	set(&jmpTab, 0, JmpJGE, opJge64K, opJge64X)
	set(&jmpTab, 0, JmpJLT, opJlt64K, opJlt64X)
	set(&jmpTab, 0, JmpJLE, opJle64K, opJle64X)
	set(&jmpTab, 0, JmpJSGT, opJsgt64K, opJsgt64X)
	set(&jmpTab, 0, JmpJSGE, opJsge64K, opJsge64X)
	set(&jmpTab, 0, JmpJSLT, opJslt64K, opJslt64X)
	set(&jmpTab, 0, JmpJSLE, opJsle64K, opJsle64X)
	set(&jmpTab, 0, JmpJSET, opJset64K, opJset64X)
	set(&jmpTab, 1, JmpJEQ, opJeq32K, opJeq32X)
	set(&jmpTab, 1, JmpJNE, opJne32K, opJne32X)
	set(&jmpTab, 1, JmpJGT, opJgt32K, opJgt32X)
	set(&jmpTab, 1, JmpJGE, opJge32K, opJge32X)
	set(&jmpTab, 1, JmpJLT, opJlt32K, opJlt32X)
	set(&jmpTab, 1, JmpJLE, opJle32K, opJle32X)
	set(&jmpTab, 1, JmpJSGT, opJsgt32K, opJsgt32X)
	set(&jmpTab, 1, JmpJSGE, opJsge32K, opJsge32X)
	set(&jmpTab, 1, JmpJSLT, opJslt32K, opJslt32X)
	set(&jmpTab, 1, JmpJSLE, opJsle32K, opJsle32X)
	set(&jmpTab, 1, JmpJSET, opJset32K, opJset32X)
}

// fuseTab maps an ALU op to its fused form (0: not fusable).
var fuseTab [256]uint8

func init() {
	fuseTab[opAdd64K] = opFAdd64K
	fuseTab[opAdd64X] = opFAdd64X
	fuseTab[opSub64K] = opFSub64K
	fuseTab[opSub64X] = opFSub64X
	fuseTab[opMul64K] = opFMul64K
	fuseTab[opMul64X] = opFMul64X
	fuseTab[opOr64K] = opFOr64K
	fuseTab[opOr64X] = opFOr64X
	fuseTab[opAnd64K] = opFAnd64K
	fuseTab[opAnd64X] = opFAnd64X
	fuseTab[opXor64K] = opFXor64K
	fuseTab[opXor64X] = opFXor64X
	fuseTab[opLsh64K] = opFLsh64K
	fuseTab[opLsh64X] = opFLsh64X
	fuseTab[opRsh64K] = opFRsh64K
	fuseTab[opRsh64X] = opFRsh64X
	fuseTab[opArsh64K] = opFArsh64K
	fuseTab[opArsh64X] = opFArsh64X
	fuseTab[opDiv64K] = opFDiv64K
	fuseTab[opDiv64X] = opFDiv64X
	fuseTab[opMod64K] = opFMod64K
	fuseTab[opMod64X] = opFMod64X
	fuseTab[opSdiv64K] = opFSdiv64K
	fuseTab[opSdiv64X] = opFSdiv64X
	fuseTab[opSmod64K] = opFSmod64K
	fuseTab[opSmod64X] = opFSmod64X
	fuseTab[opAdd32K] = opFAdd32K
	fuseTab[opAdd32X] = opFAdd32X
	fuseTab[opSub32K] = opFSub32K
	fuseTab[opSub32X] = opFSub32X
	fuseTab[opMul32K] = opFMul32K
	fuseTab[opMul32X] = opFMul32X
	fuseTab[opOr32K] = opFOr32K
	fuseTab[opOr32X] = opFOr32X
	fuseTab[opAnd32K] = opFAnd32K
	fuseTab[opAnd32X] = opFAnd32X
	fuseTab[opXor32K] = opFXor32K
	fuseTab[opXor32X] = opFXor32X
	fuseTab[opLsh32K] = opFLsh32K
	fuseTab[opLsh32X] = opFLsh32X
	fuseTab[opRsh32K] = opFRsh32K
	fuseTab[opRsh32X] = opFRsh32X
	fuseTab[opArsh32K] = opFArsh32K
	fuseTab[opArsh32X] = opFArsh32X
	fuseTab[opDiv32K] = opFDiv32K
	fuseTab[opDiv32X] = opFDiv32X
	fuseTab[opMod32K] = opFMod32K
	fuseTab[opMod32X] = opFMod32X
	fuseTab[opSdiv32K] = opFSdiv32K
	fuseTab[opSdiv32X] = opFSdiv32X
	fuseTab[opSmod32K] = opFSmod32K
	fuseTab[opSmod32X] = opFSmod32X
}

var atomicTab = map[int32][2]uint8{ // [32-bit, 64-bit]
	AtomicADD:               {opAtomicAdd32, opAtomicAdd64},
	AtomicOR:                {opAtomicOr32, opAtomicOr64},
	AtomicAND:               {opAtomicAnd32, opAtomicAnd64},
	AtomicXOR:               {opAtomicXor32, opAtomicXor64},
	AtomicADD | AtomicFETCH: {opFetchAdd32, opFetchAdd64},
	AtomicOR | AtomicFETCH:  {opFetchOr32, opFetchOr64},
	AtomicAND | AtomicFETCH: {opFetchAnd32, opFetchAnd64},
	AtomicXOR | AtomicFETCH: {opFetchXor32, opFetchXor64},
	AtomicXCHG:              {opXchg32, opXchg64},
	AtomicCMPXCHG:           {opCmpxchg32, opCmpxchg64},
}

// code returns the decoded form of p, decoding it on first use. Decoded
// programs are cached per interpreter and shared through the VM, so that a
// machine with hundreds of CPU contexts decodes each program once.
func (e *Interpreter) code(vm *VM, p *Program) *icode {
	if p == e.lastProg && e.lastCode != nil {
		return e.lastCode
	}
	if e.cache == nil {
		e.cache = make(map[*Program]*icode)
	}
	ic := e.cache[p]
	if ic == nil {
		if vm.icodes == nil {
			vm.icodes = make(map[*Program]*icode)
		}
		if ic = vm.icodes[p]; ic == nil {
			ic = decode(vm, p)
			vm.icodes[p] = ic
		}
		e.cache[p] = ic
	}
	e.lastProg, e.lastCode = p, ic
	return ic
}

// decode translates p. Instructions that cannot execute (invalid
// encodings, unresolved relocations, legacy packet loads) decode to
// opInvalid and fault when reached, so unreachable garbage is harmless.
// Jumps out of the program go to the end sentinel.
func decode(vm *VM, p *Program) *icode {
	n := len(p.Insns)
	// One spare slot past the sentinel: fast advances its instruction
	// pointer past the instruction it reads before it refuses it, and that
	// pointer must stay inside the allocation (checkptr, go test -race).
	ic := &icode{insns: make([]dinsn, n+1, n+2)}
	ic.insns[n] = dinsn{op: opEnd}
	bad := func(i int, format string, args ...any) {
		ic.insns[i] = dinsn{op: opInvalid, imm: uint64(len(ic.reasons))}
		ic.reasons = append(ic.reasons, fmt.Sprintf(format, args...))
	}
	target := func(i int, rel int64) int32 {
		t := int64(i) + 1 + rel
		if t < 0 || t >= int64(n) {
			return int32(n)
		}
		return int32(t)
	}
	for i, in := range p.Insns {
		if !validInsn(p.Insns, i) {
			if i > 0 && p.Insns[i-1].IsLdImm64() && insnWidth(p.Insns, i-1) == 2 {
				bad(i, "jump into the second half of a 64-bit immediate load")
			} else {
				bad(i, "invalid instruction (%s)", rawInsn(in))
			}
			continue
		}
		d := dinsn{dst: in.Dst, src: in.Src, off: int32(in.Off)}
		cls := in.Class()
		op := in.Op & 0xf0
		x := 0
		if in.Op&SrcX != 0 {
			x = 1
		}
		switch cls {
		case ClassALU, ClassALU64:
			w := 0
			d.imm = uint64(int64(in.Imm))
			if cls == ClassALU {
				w = 1
				d.imm = uint64(uint32(in.Imm))
			}
			switch op {
			case AluNEG:
				d.op = [2]uint8{opNeg64, opNeg32}[w]
			case AluEND:
				k := bits.TrailingZeros32(uint32(in.Imm)) - 4 // 16, 32, 64 -> 0, 1, 2
				if w == 1 && x == 0 {
					d.op = [3]uint8{opTrunc16, opTrunc32, opNop}[k]
				} else {
					d.op = [3]uint8{opSwap16, opSwap32, opSwap64}[k]
				}
			default:
				d.op = aluTab[w][op>>4][x]
				switch {
				case op == AluMOV && in.Off != 0:
					switch {
					case w == 0 && in.Off == 8:
						d.op = opMovsx64s8
					case w == 0 && in.Off == 16:
						d.op = opMovsx64s16
					case w == 0:
						d.op = opMovsx64s32
					case in.Off == 8:
						d.op = opMovsx32s8
					default:
						d.op = opMovsx32s16
					}
				case (op == AluDIV || op == AluMOD) && in.Off == 1:
					if op == AluMOD {
						d.op = [2][2]uint8{{opSmod64K, opSmod64X}, {opSmod32K, opSmod32X}}[w][x]
					} else {
						d.op = [2][2]uint8{{opSdiv64K, opSdiv64X}, {opSdiv32K, opSdiv32X}}[w][x]
					}
				case op == AluLSH || op == AluRSH || op == AluARSH:
					d.imm &= [2]uint64{63, 31}[w]
				}
			}
		case ClassJMP, ClassJMP32:
			w := 0
			if cls == ClassJMP32 {
				w = 1
			}
			d.imm = uint64(int64(in.Imm))
			switch op {
			case JmpJA:
				d.op = opJa
				if w == 1 {
					d.off = target(i, int64(in.Imm))
				} else {
					d.off = target(i, int64(in.Off))
				}
			case JmpJCOND:
				d.op = opMayGoto
				d.off = target(i, int64(in.Off))
			case JmpEXIT:
				d.op = opExit
			case JmpCALL:
				if x == 1 {
					d.op = opCallx
					break
				}
				switch in.Src {
				case CallHelper:
					d.op = opCall
				case CallKfunc:
					d.op = opKfunc
				case CallLocal:
					t := int64(i) + 1 + int64(in.Imm)
					if t < 0 || t >= int64(n) {
						bad(i, "call of pc%+d, outside the program", in.Imm)
						continue
					}
					d.op = opCallLocal
					d.off = int32(t)
				}
			default:
				d.op = jmpTab[w][op>>4][x]
				d.off = target(i, int64(in.Off))
			}
		case ClassLDX:
			sz := (in.Op >> 3) & 3
			if in.Op&0xe0 == ModeMEMSX {
				d.op = [4]uint8{SizeW >> 3: opLdxs32, SizeH >> 3: opLdxs16, SizeB >> 3: opLdxs8}[sz]
			} else {
				d.op = [4]uint8{SizeW >> 3: opLdx32, SizeH >> 3: opLdx16, SizeB >> 3: opLdx8, SizeDW >> 3: opLdx64}[sz]
			}
		case ClassST:
			d.op = [4]uint8{SizeW >> 3: opSt32, SizeH >> 3: opSt16, SizeB >> 3: opSt8, SizeDW >> 3: opSt64}[(in.Op>>3)&3]
			d.imm = uint64(int64(in.Imm))
		case ClassSTX:
			if in.Op&0xe0 == ModeATOMIC {
				k := 0
				if in.Op&0x18 == SizeDW {
					k = 1
				}
				d.op = atomicTab[in.Imm][k]
			} else {
				d.op = [4]uint8{SizeW >> 3: opStx32, SizeH >> 3: opStx16, SizeB >> 3: opStx8, SizeDW >> 3: opStx64}[(in.Op>>3)&3]
			}
		case ClassLD:
			if in.Op&0xe0 != ModeIMM {
				bad(i, "legacy packet access (BPF_ABS/BPF_IND) is not supported")
				continue
			}
			lo, hi := uint32(in.Imm), uint32(p.Insns[i+1].Imm)
			d.op = opLdImm64
			d.imm = uint64(lo) | uint64(hi)<<32
			switch in.Src {
			case PseudoMapIdx, PseudoMapIdxValue:
				if vm == nil || int(in.Imm) < 0 || int(in.Imm) >= len(vm.Maps) || vm.Maps[in.Imm] == nil {
					bad(i, "map index %d out of range (the VM has %d maps)", in.Imm, lenMaps(vm))
					continue
				}
				m := vm.Maps[in.Imm]
				if in.Src == PseudoMapIdx {
					d.imm = m.Addr()
				} else {
					a, ok := m.ValueAddr(hi)
					if !ok {
						bad(i, "map %d (%s) has no direct value access", in.Imm, m.Spec().Name)
						continue
					}
					d.imm = a
				}
			case PseudoMapFD, PseudoMapValue:
				bad(i, "unresolved map relocation (fd %d); the loader resolves maps to indices", in.Imm)
				continue
			case PseudoFunc:
				t := int64(i) + 1 + int64(in.Imm)
				if t < 0 || t >= int64(n) {
					bad(i, "address of pc%+d, outside the program", in.Imm)
					continue
				}
				d.imm = FuncPtr(int(t))
			}
		}
		ic.insns[i] = d
	}
	ic.plain = append(make([]dinsn, 0, n+2), ic.insns...)
	for i := 0; i+1 < n; i++ {
		mv, op := ic.insns[i], ic.plain[i+1]
		f := fuseTab[op.op]
		if f == 0 || op.dst != mv.dst || !(mv.op == opMov64X || mv.op == opMov32X && op.op >= opAdd32K && op.op <= opSmod32X) {
			continue
		}
		src := op.src
		if src == mv.dst {
			src = mv.src // dst = dst op dst after dst = a: a op a
		}
		ic.insns[i] = dinsn{op: f, dst: op.dst, src: src, a: mv.src, imm: op.imm}
	}
	return ic
}

func lenMaps(vm *VM) int {
	if vm == nil {
		return 0
	}
	return len(vm.Maps)
}
