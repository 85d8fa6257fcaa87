package bpfvm

import (
	"fmt"
	"math/bits"
	"unsafe"
)

// Interpreter is the interpreting Engine. It decodes each Program once into
// a compact internal form (cached per Program; programs must not change
// after their first run) and executes it with a switch over dense internal
// opcodes, registers in a local array, and one bounds compare per memory
// access against the VM's linear memory.
type Interpreter struct {
	cache    map[*Program]*icode
	lastProg *Program
	lastCode *icode
}

// NewInterpreter returns an interpreter with an empty decode cache.
func NewInterpreter() *Interpreter {
	return &Interpreter{cache: make(map[*Program]*icode)}
}

// Name is "interp".
func (e *Interpreter) Name() string { return "interp" }

// Forget drops this interpreter's decoded form of p (after p's
// instructions changed); VM.Forget drops the VM's shared copy.
func (e *Interpreter) Forget(p *Program) {
	delete(e.cache, p)
	if e.lastProg == p {
		e.lastProg, e.lastCode = nil, nil
	}
}

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

// Run continues the program on c; see Engine.
func (e *Interpreter) Run(c *Context, quantum uint64) (Status, error) {
	p := c.Prog
	if p == nil || c.Depth < 1 || c.Base < 1 || c.Depth > MaxCallFrames {
		return StatusFault, fmt.Errorf("bpfvm: CPU %d: no program in progress", c.CPU)
	}
	ic := e.code(c.VM, p)
	ins := ic.insns
	pc := c.PC
	if pc < 0 || pc >= len(ins) {
		return StatusFault, &Fault{Prog: p, PC: pc, Reason: "resumed outside the program"}
	}
	m := c.VM.Mem
	mp := unsafe.Pointer(unsafe.SliceData(m.buf))
	insp := unsafe.Pointer(unsafe.SliceData(ins))

	// n counts down the instructions this Run may execute; target is the
	// value of c.Insns when it reaches 0.
	limitEnd := ^uint64(0)
	if c.Limit != 0 && c.CallStart+c.Limit > c.CallStart {
		limitEnd = c.CallStart + c.Limit
	}
	target := limitEnd
	if quantum != 0 && c.Insns+quantum > c.Insns && c.Insns+quantum < target {
		target = c.Insns + quantum
	}
	var n uint64
	if c.Insns < target {
		n = target - c.Insns
	}

	var r [16]uint64
	copy(r[:], c.Regs[:])

	for {
		// Straight-line code, jumps and memory run in fast; it returns at
		// the first instruction it does not handle, not counting it.
		pc, n = fast(&r, insp, pc, n, mp, m.base, m.size)
		if n == 0 {
			c.Insns = target
			e.save(c, &r, pc)
			if target >= limitEnd {
				return StatusFault, c.LimitFault()
			}
			return StatusPreempted, nil
		}
		if ins[pc].op >= opFAdd64K {
			// a fused op with one instruction of budget left: execute the
			// move alone
			var left uint64
			pc, left = fast(&r, unsafe.Pointer(unsafe.SliceData(ic.plain)), pc, 1, mp, m.base, m.size)
			n = n - 1 + left
			continue
		}
		n--
		in := &ins[pc]
		pc++
		switch in.op {
		case opMayGoto:
			f := &c.Frames[(c.Depth-1)&(MaxCallFrames-1)]
			if f.Loops == 0 {
				pc = int(in.off)
			} else {
				f.Loops--
			}
		case opCallLocal, opCallx:
			if in.op == opCallx {
				t, err := callxTarget(p, r[in.dst&15])
				if err != nil {
					c.Insns = target - n
					e.save(c, &r, pc-1)
					return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: err.Error()}
				}
				in = &dinsn{off: int32(t)}
			}
			d := c.Depth
			if d >= MaxCallFrames {
				c.Insns = target - n
				e.save(c, &r, pc-1)
				return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: fmt.Sprintf("call stack deeper than %d frames", MaxCallFrames)}
			}
			f := &c.Frames[d&(MaxCallFrames-1)]
			f.RetPC = pc
			f.Saved = [4]uint64{r[6], r[7], r[8], r[9]}
			f.FP = c.FrameTop(d)
			f.Loops = MaxLoops
			c.Depth = d + 1
			r[10] = f.FP
			pc = int(in.off)
		case opExit:
			d := c.Depth
			if d <= c.Base {
				c.Depth = d - 1
				c.Insns = target - n
				e.save(c, &r, pc-1)
				return StatusExited, nil
			}
			f := &c.Frames[(d-1)&(MaxCallFrames-1)]
			r[6], r[7], r[8], r[9] = f.Saved[0], f.Saved[1], f.Saved[2], f.Saved[3]
			pc = f.RetPC
			c.Depth = d - 1
			r[10] = c.Frames[(d-2)&(MaxCallFrames-1)].FP
		case opCall, opKfunc:
			c.Insns = target - n
			c.PC = pc - 1
			v, err := c.CallFunc(in.op == opKfunc, int32(in.imm), r[1], r[2], r[3], r[4], r[5])
			if err != nil {
				e.save(c, &r, pc-1)
				if err == ErrYield {
					c.Insns-- // the call is counted when it is made again
					return StatusYielded, nil
				}
				return StatusFault, err
			}
			r[0] = v
			if c.Insns < target {
				n = target - c.Insns
			} else {
				// callbacks run to completion and may overrun the quantum
				target, n = c.Insns, 0
			}

		case opEnd:
			c.Insns = target - n
			e.save(c, &r, pc-1)
			return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: "execution left the program (fell off its end or jumped outside it)"}
		default: // opInvalid, or a memory access fast refused
			c.Insns = target - n
			e.save(c, &r, pc-1)
			if size, what, ok := memAccess(in.op); ok {
				a := r[in.dst&15]
				if what == "load" {
					a = r[in.src&15]
				}
				a += uint64(int64(in.off))
				return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: fmt.Sprintf("invalid %s of %d bytes at %s, outside linear memory (%d bytes)", what, size, m.Describe(a), m.size)}
			}
			reason := "invalid instruction"
			if in.op == opInvalid && int(in.imm) < len(ic.reasons) {
				reason = ic.reasons[in.imm]
			}
			return StatusFault, &Fault{Prog: p, PC: pc - 1, Reason: reason}
		}
	}
}

// callxTarget resolves the register operand of callx (a value loaded
// with LD_IMM64 PseudoFunc) to the subprogram it names: the start of one
// of p's functions (any instruction of a raw program without function
// information).
func callxTarget(p *Program, v uint64) (int, error) {
	t, ok := FuncPC(v)
	if ok && t < len(p.Insns) {
		if len(p.Funcs) == 0 {
			return t, nil
		}
		for _, f := range p.Funcs {
			if f.Start == t {
				return t, nil
			}
		}
	}
	return 0, fmt.Errorf("callx of %#x, which is not a subprogram of %s", v, p.Name)
}

// memAccess describes the memory instructions.
func memAccess(op uint8) (size int, what string, ok bool) {
	switch op {
	case opLdx8, opLdxs8:
		return 1, "load", true
	case opLdx16, opLdxs16:
		return 2, "load", true
	case opLdx32, opLdxs32:
		return 4, "load", true
	case opLdx64:
		return 8, "load", true
	case opSt8, opStx8:
		return 1, "store", true
	case opSt16, opStx16:
		return 2, "store", true
	case opSt32, opStx32:
		return 4, "store", true
	case opSt64, opStx64:
		return 8, "store", true
	}
	if op >= opAtomicAdd32 && op <= opCmpxchg32 {
		return 4, "atomic access", true
	}
	if op >= opAtomicAdd64 && op <= opCmpxchg64 {
		return 8, "atomic access", true
	}
	return 0, "", false
}

// fast executes ALU, jump, 64-bit load and memory instructions from pc
// until n instructions ran (returns n == 0) or it meets an instruction it
// does not execute: calls, exits, may_goto, invalid ones and memory
// accesses outside [base, base+size). It returns that instruction's index
// and the count left, the instruction not counted. It makes no calls, so
// that its state stays in machine registers.
//
// insp points at the decoded instructions; every jump target was checked
// at decode time and the sentinel at the end stops the fall-through, so pc
// stays inside them.
func fast(rp *[16]uint64, insp unsafe.Pointer, pc int, n uint64, mp unsafe.Pointer, base, size uint64) (int, uint64) {
	const isz = unsafe.Sizeof(dinsn{})
	r := *rp // a local copy: no nil checks, addressed off the stack pointer
	ip := unsafe.Add(insp, uintptr(pc)*isz)
	for {
		if n == 0 {
			goto out
		}
		n--
		in := (*dinsn)(ip)
		ip = unsafe.Add(ip, isz)
		switch in.op {
		case opAdd64K:
			r[in.dst&15] += in.imm
		case opAdd64X:
			r[in.dst&15] += r[in.src&15]
		case opSub64K:
			r[in.dst&15] -= in.imm
		case opSub64X:
			r[in.dst&15] -= r[in.src&15]
		case opMul64K:
			r[in.dst&15] *= in.imm
		case opMul64X:
			r[in.dst&15] *= r[in.src&15]
		case opOr64K:
			r[in.dst&15] |= in.imm
		case opOr64X:
			r[in.dst&15] |= r[in.src&15]
		case opAnd64K:
			r[in.dst&15] &= in.imm
		case opAnd64X:
			r[in.dst&15] &= r[in.src&15]
		case opXor64K:
			r[in.dst&15] ^= in.imm
		case opXor64X:
			r[in.dst&15] ^= r[in.src&15]
		case opMov64K:
			r[in.dst&15] = in.imm
		case opMov64X:
			r[in.dst&15] = r[in.src&15]
		case opLsh64K:
			r[in.dst&15] <<= in.imm
		case opLsh64X:
			r[in.dst&15] <<= (r[in.src&15] & 63)
		case opRsh64K:
			r[in.dst&15] >>= in.imm
		case opRsh64X:
			r[in.dst&15] >>= (r[in.src&15] & 63)
		case opArsh64K:
			r[in.dst&15] = uint64(int64(r[in.dst&15]) >> in.imm)
		case opArsh64X:
			r[in.dst&15] = uint64(int64(r[in.dst&15]) >> (r[in.src&15] & 63))
		case opDiv64K:
			if v := in.imm; v != 0 {
				r[in.dst&15] /= v
			} else {
				r[in.dst&15] = 0
			}
		case opSdiv64K:
			if v := int64(in.imm); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.dst&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opMod64K:
			if v := in.imm; v != 0 {
				r[in.dst&15] %= v
			}
		case opSmod64K:
			if v := int64(in.imm); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.dst&15]) % v)
			}
		case opDiv64X:
			if v := r[in.src&15]; v != 0 {
				r[in.dst&15] /= v
			} else {
				r[in.dst&15] = 0
			}
		case opSdiv64X:
			if v := int64(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.dst&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opMod64X:
			if v := r[in.src&15]; v != 0 {
				r[in.dst&15] %= v
			}
		case opSmod64X:
			if v := int64(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.dst&15]) % v)
			}
		case opAdd32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) + uint32(in.imm))
		case opAdd32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) + uint32(r[in.src&15]))
		case opSub32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) - uint32(in.imm))
		case opSub32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) - uint32(r[in.src&15]))
		case opMul32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) * uint32(in.imm))
		case opMul32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) * uint32(r[in.src&15]))
		case opOr32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) | uint32(in.imm))
		case opOr32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) | uint32(r[in.src&15]))
		case opAnd32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) & uint32(in.imm))
		case opAnd32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) & uint32(r[in.src&15]))
		case opXor32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) ^ uint32(in.imm))
		case opXor32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) ^ uint32(r[in.src&15]))
		case opMov32K:
			r[in.dst&15] = in.imm
		case opMov32X:
			r[in.dst&15] = uint64(uint32(r[in.src&15]))
		case opLsh32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) << in.imm)
		case opLsh32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) << (r[in.src&15] & 31))
		case opRsh32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) >> in.imm)
		case opRsh32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) >> (r[in.src&15] & 31))
		case opArsh32K:
			r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) >> in.imm))
		case opArsh32X:
			r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) >> (r[in.src&15] & 31)))
		case opDiv32K:
			if v := uint32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opSdiv32K:
			if v := int32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) / v))
			} else {
				r[in.dst&15] = 0
			}
		case opMod32K:
			if v := uint32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]) % v)
			} else {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]))
			}
		case opSmod32K:
			if v := int32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) % v))
			} else {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]))
			}
		case opDiv32X:
			if v := uint32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opSdiv32X:
			if v := int32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) / v))
			} else {
				r[in.dst&15] = 0
			}
		case opMod32X:
			if v := uint32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]) % v)
			} else {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]))
			}
		case opSmod32X:
			if v := int32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) % v))
			} else {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]))
			}
		case opJeq64K:
			if r[in.dst&15] == in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJeq64X:
			if r[in.dst&15] == r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJne64K:
			if r[in.dst&15] != in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJne64X:
			if r[in.dst&15] != r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJgt64K:
			if r[in.dst&15] > in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJgt64X:
			if r[in.dst&15] > r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJge64K:
			if r[in.dst&15] >= in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJge64X:
			if r[in.dst&15] >= r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJlt64K:
			if r[in.dst&15] < in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJlt64X:
			if r[in.dst&15] < r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJle64K:
			if r[in.dst&15] <= in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJle64X:
			if r[in.dst&15] <= r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsgt64K:
			if int64(r[in.dst&15]) > int64(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsgt64X:
			if int64(r[in.dst&15]) > int64(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsge64K:
			if int64(r[in.dst&15]) >= int64(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsge64X:
			if int64(r[in.dst&15]) >= int64(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJslt64K:
			if int64(r[in.dst&15]) < int64(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJslt64X:
			if int64(r[in.dst&15]) < int64(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsle64K:
			if int64(r[in.dst&15]) <= int64(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsle64X:
			if int64(r[in.dst&15]) <= int64(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJset64K:
			if r[in.dst&15]&in.imm != 0 {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJset64X:
			if r[in.dst&15]&r[in.src&15] != 0 {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJeq32K:
			if uint32(r[in.dst&15]) == uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJeq32X:
			if uint32(r[in.dst&15]) == uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJne32K:
			if uint32(r[in.dst&15]) != uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJne32X:
			if uint32(r[in.dst&15]) != uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJgt32K:
			if uint32(r[in.dst&15]) > uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJgt32X:
			if uint32(r[in.dst&15]) > uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJge32K:
			if uint32(r[in.dst&15]) >= uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJge32X:
			if uint32(r[in.dst&15]) >= uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJlt32K:
			if uint32(r[in.dst&15]) < uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJlt32X:
			if uint32(r[in.dst&15]) < uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJle32K:
			if uint32(r[in.dst&15]) <= uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJle32X:
			if uint32(r[in.dst&15]) <= uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsgt32K:
			if int32(r[in.dst&15]) > int32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsgt32X:
			if int32(r[in.dst&15]) > int32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsge32K:
			if int32(r[in.dst&15]) >= int32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsge32X:
			if int32(r[in.dst&15]) >= int32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJslt32K:
			if int32(r[in.dst&15]) < int32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJslt32X:
			if int32(r[in.dst&15]) < int32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsle32K:
			if int32(r[in.dst&15]) <= int32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsle32X:
			if int32(r[in.dst&15]) <= int32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJset32K:
			if uint32(r[in.dst&15])&uint32(in.imm) != 0 {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJset32X:
			if uint32(r[in.dst&15])&uint32(r[in.src&15]) != 0 {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opNeg64:
			r[in.dst&15] = -r[in.dst&15]
		case opNeg32:
			r[in.dst&15] = uint64(-uint32(r[in.dst&15]))
		case opMovsx64s8:
			r[in.dst&15] = uint64(int64(int8(r[in.src&15])))
		case opMovsx64s16:
			r[in.dst&15] = uint64(int64(int16(r[in.src&15])))
		case opMovsx64s32:
			r[in.dst&15] = uint64(int64(int32(r[in.src&15])))
		case opMovsx32s8:
			r[in.dst&15] = uint64(uint32(int32(int8(r[in.src&15]))))
		case opMovsx32s16:
			r[in.dst&15] = uint64(uint32(int32(int16(r[in.src&15]))))
		case opTrunc16:
			r[in.dst&15] = uint64(uint16(r[in.dst&15]))
		case opTrunc32:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]))
		case opNop:
		case opSwap16:
			r[in.dst&15] = uint64(bits.ReverseBytes16(uint16(r[in.dst&15])))
		case opSwap32:
			r[in.dst&15] = uint64(bits.ReverseBytes32(uint32(r[in.dst&15])))
		case opSwap64:
			r[in.dst&15] = bits.ReverseBytes64(r[in.dst&15])

		case opJa:
			ip = unsafe.Add(insp, uintptr(in.off)*isz)
		case opLdImm64:
			r[in.dst&15] = in.imm
			ip = unsafe.Add(ip, isz)

		case opLdx8:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-1 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(*(*uint8)(unsafe.Add(mp, a)))
		case opLdx16:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-2 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(*(*uint16)(unsafe.Add(mp, a)))
		case opLdx32:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(*(*uint32)(unsafe.Add(mp, a)))
		case opLdx64:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-8 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = *(*uint64)(unsafe.Add(mp, a))
		case opLdxs8:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-1 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(int64(*(*int8)(unsafe.Add(mp, a))))
		case opLdxs16:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-2 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(int64(*(*int16)(unsafe.Add(mp, a))))
		case opLdxs32:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(int64(*(*int32)(unsafe.Add(mp, a))))

		case opSt8:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-1 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint8)(unsafe.Add(mp, a)) = uint8(in.imm)
		case opSt16:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-2 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint16)(unsafe.Add(mp, a)) = uint16(in.imm)
		case opSt32:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint32)(unsafe.Add(mp, a)) = uint32(in.imm)
		case opSt64:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-8 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint64)(unsafe.Add(mp, a)) = in.imm
		case opStx8:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-1 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint8)(unsafe.Add(mp, a)) = uint8(r[in.src&15])
		case opStx16:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-2 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint16)(unsafe.Add(mp, a)) = uint16(r[in.src&15])
		case opStx32:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint32)(unsafe.Add(mp, a)) = uint32(r[in.src&15])
		case opStx64:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-8 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint64)(unsafe.Add(mp, a)) = r[in.src&15]

		case opAtomicAdd32, opAtomicOr32, opAtomicAnd32, opAtomicXor32,
			opFetchAdd32, opFetchOr32, opFetchAnd32, opFetchXor32, opXchg32, opCmpxchg32:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			ptr := (*uint32)(unsafe.Add(mp, a))
			old, v := *ptr, uint32(r[in.src&15])
			switch in.op {
			case opAtomicAdd32, opFetchAdd32:
				*ptr = old + v
			case opAtomicOr32, opFetchOr32:
				*ptr = old | v
			case opAtomicAnd32, opFetchAnd32:
				*ptr = old & v
			case opAtomicXor32, opFetchXor32:
				*ptr = old ^ v
			case opXchg32:
				*ptr = v
			case opCmpxchg32:
				if old == uint32(r[0]) {
					*ptr = v
				}
				r[0] = uint64(old)
				continue
			}
			if in.op >= opFetchAdd32 {
				r[in.src&15] = uint64(old)
			}
		case opAtomicAdd64, opAtomicOr64, opAtomicAnd64, opAtomicXor64,
			opFetchAdd64, opFetchOr64, opFetchAnd64, opFetchXor64, opXchg64, opCmpxchg64:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-8 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			ptr := (*uint64)(unsafe.Add(mp, a))
			old, v := *ptr, r[in.src&15]
			switch in.op {
			case opAtomicAdd64, opFetchAdd64:
				*ptr = old + v
			case opAtomicOr64, opFetchOr64:
				*ptr = old | v
			case opAtomicAnd64, opFetchAnd64:
				*ptr = old & v
			case opAtomicXor64, opFetchXor64:
				*ptr = old ^ v
			case opXchg64:
				*ptr = v
			case opCmpxchg64:
				if old == r[0] {
					*ptr = v
				}
				r[0] = old
				continue
			}
			if in.op >= opFetchAdd64 {
				r[in.src&15] = old
			}

		case opFAdd64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] + in.imm
		case opFAdd64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] + r[in.src&15]
		case opFSub64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] - in.imm
		case opFSub64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] - r[in.src&15]
		case opFMul64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] * in.imm
		case opFMul64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] * r[in.src&15]
		case opFOr64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] | in.imm
		case opFOr64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] | r[in.src&15]
		case opFAnd64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] & in.imm
		case opFAnd64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] & r[in.src&15]
		case opFXor64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] ^ in.imm
		case opFXor64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] ^ r[in.src&15]
		case opFLsh64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] << in.imm
		case opFLsh64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] << (r[in.src&15] & 63)
		case opFRsh64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] >> in.imm
		case opFRsh64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] >> (r[in.src&15] & 63)
		case opFArsh64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(int64(r[in.a&15]) >> in.imm)
		case opFArsh64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(int64(r[in.a&15]) >> (r[in.src&15] & 63))
		case opFDiv64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := in.imm; v != 0 {
				r[in.dst&15] = r[in.a&15] / v
			} else {
				r[in.dst&15] = 0
			}
		case opFDiv64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := r[in.src&15]; v != 0 {
				r[in.dst&15] = r[in.a&15] / v
			} else {
				r[in.dst&15] = 0
			}
		case opFMod64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := in.imm; v != 0 {
				r[in.dst&15] = r[in.a&15] % v
			} else {
				r[in.dst&15] = r[in.a&15]
			}
		case opFMod64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := r[in.src&15]; v != 0 {
				r[in.dst&15] = r[in.a&15] % v
			} else {
				r[in.dst&15] = r[in.a&15]
			}
		case opFSdiv64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int64(in.imm); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.a&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opFSdiv64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int64(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.a&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opFSmod64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int64(in.imm); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.a&15]) % v)
			} else {
				r[in.dst&15] = r[in.a&15]
			}
		case opFSmod64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int64(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.a&15]) % v)
			} else {
				r[in.dst&15] = r[in.a&15]
			}
		case opFAdd32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) + uint32(in.imm))
		case opFAdd32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) + uint32(r[in.src&15]))
		case opFSub32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) - uint32(in.imm))
		case opFSub32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) - uint32(r[in.src&15]))
		case opFMul32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) * uint32(in.imm))
		case opFMul32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) * uint32(r[in.src&15]))
		case opFOr32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) | uint32(in.imm))
		case opFOr32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) | uint32(r[in.src&15]))
		case opFAnd32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) & uint32(in.imm))
		case opFAnd32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) & uint32(r[in.src&15]))
		case opFXor32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) ^ uint32(in.imm))
		case opFXor32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) ^ uint32(r[in.src&15]))
		case opFLsh32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) << in.imm)
		case opFLsh32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) << (r[in.src&15] & 31))
		case opFRsh32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) >> in.imm)
		case opFRsh32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) >> (r[in.src&15] & 31))
		case opFArsh32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) >> in.imm))
		case opFArsh32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) >> (r[in.src&15] & 31)))
		case opFDiv32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := uint32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.a&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opFDiv32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := uint32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.a&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opFMod32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := uint32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.a&15]) % v)
			} else {
				r[in.dst&15] = uint64(uint32(r[in.a&15]))
			}
		case opFMod32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := uint32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.a&15]) % v)
			} else {
				r[in.dst&15] = uint64(uint32(r[in.a&15]))
			}
		case opFSdiv32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) / v))
			} else {
				r[in.dst&15] = 0
			}
		case opFSdiv32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) / v))
			} else {
				r[in.dst&15] = 0
			}
		case opFSmod32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) % v))
			} else {
				r[in.dst&15] = uint64(uint32(r[in.a&15]))
			}
		case opFSmod32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) % v))
			} else {
				r[in.dst&15] = uint64(uint32(r[in.a&15]))
			}
		default:
			ip = unsafe.Add(ip, -int(isz))
			n++
			goto out
		}
	}
out:
	*rp = r
	return int((uintptr(ip) - uintptr(insp)) / isz), n
}

func (e *Interpreter) save(c *Context, r *[16]uint64, pc int) {
	copy(c.Regs[:], r[:11])
	c.PC = pc
}
