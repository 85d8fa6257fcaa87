package jit

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// genProgram turns fuzz bytes into a program that mostly executes: valid
// opcodes of every class, registers r0..r9 (r10 as a base), jumps inside
// the program, memory around the 64-byte buffer at r1 and the stack, calls
// of subprograms and helpers, and now and then a raw random instruction.
func genProgram(data []byte) []bpfvm.Insn {
	seed := uint64(0)
	if len(data) >= 8 {
		seed = binary.LittleEndian.Uint64(data)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(len(data))))
	n := 4 + rng.IntN(60)
	var out []bpfvm.Insn
	reg := func() uint8 { return uint8(rng.IntN(10)) }
	imm := func() int32 {
		switch rng.IntN(6) {
		case 0:
			return int32(rng.IntN(8)) - 2
		case 1:
			return -1
		case 2:
			return int32(rng.Uint32())
		case 3:
			return -0x80000000
		default:
			return int32(rng.IntN(100))
		}
	}
	sizes := []uint8{bpfvm.SizeB, bpfvm.SizeH, bpfvm.SizeW, bpfvm.SizeDW}
	for len(out) < n {
		left := n - len(out)
		off := func() int16 { return int16(rng.IntN(left+4) - 2) }
		switch k := rng.IntN(100); {
		case k < 35: // ALU
			cls := uint8(bpfvm.ClassALU64)
			if rng.IntN(2) == 0 {
				cls = bpfvm.ClassALU
			}
			ops := []uint8{bpfvm.AluADD, bpfvm.AluSUB, bpfvm.AluMUL, bpfvm.AluDIV, bpfvm.AluOR, bpfvm.AluAND,
				bpfvm.AluLSH, bpfvm.AluRSH, bpfvm.AluNEG, bpfvm.AluMOD, bpfvm.AluXOR, bpfvm.AluMOV, bpfvm.AluARSH, bpfvm.AluEND}
			op := ops[rng.IntN(len(ops))]
			in := bpfvm.Insn{Op: cls | op, Dst: reg()}
			switch op {
			case bpfvm.AluNEG:
			case bpfvm.AluEND:
				in.Imm = []int32{16, 32, 64}[rng.IntN(3)]
				if rng.IntN(2) == 0 && cls == bpfvm.ClassALU {
					in.Op |= bpfvm.SrcX
				}
			default:
				if rng.IntN(2) == 0 {
					in.Op |= bpfvm.SrcX
					in.Src = reg()
				} else {
					in.Imm = imm()
				}
				if (op == bpfvm.AluDIV || op == bpfvm.AluMOD) && rng.IntN(2) == 0 {
					in.Off = 1
				}
				if op == bpfvm.AluMOV && in.Op&bpfvm.SrcX != 0 && rng.IntN(3) == 0 {
					in.Off = []int16{8, 16, 32}[rng.IntN(3)]
					if cls == bpfvm.ClassALU && in.Off == 32 {
						in.Off = 16
					}
				}
			}
			out = append(out, in)
		case k < 50: // conditional jump
			cls := uint8(bpfvm.ClassJMP)
			if rng.IntN(2) == 0 {
				cls = bpfvm.ClassJMP32
			}
			ops := []uint8{bpfvm.JmpJEQ, bpfvm.JmpJGT, bpfvm.JmpJGE, bpfvm.JmpJSET, bpfvm.JmpJNE, bpfvm.JmpJSGT,
				bpfvm.JmpJSGE, bpfvm.JmpJLT, bpfvm.JmpJLE, bpfvm.JmpJSLT, bpfvm.JmpJSLE}
			in := bpfvm.Insn{Op: cls | ops[rng.IntN(len(ops))], Dst: reg(), Off: off()}
			if rng.IntN(2) == 0 {
				in.Op |= bpfvm.SrcX
				in.Src = reg()
			} else {
				in.Imm = imm()
			}
			if rng.IntN(4) == 0 { // backward: loops, ended by the limit or may_goto
				in.Off = -int16(rng.IntN(len(out) + 1))
			}
			out = append(out, in)
		case k < 53:
			if rng.IntN(2) == 0 {
				out = append(out, bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpJA, Off: off()})
			} else {
				out = append(out, bpfvm.Insn{Op: bpfvm.ClassJMP32 | bpfvm.JmpJA, Imm: int32(off())})
			}
		case k < 56:
			out = append(out, bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpJCOND, Off: -int16(rng.IntN(len(out) + 1))})
		case k < 72: // loads and stores
			base := uint8(1)
			o := int16(rng.IntN(80) - 8)
			if rng.IntN(3) == 0 {
				base, o = 10, -int16(rng.IntN(520))
			} else if rng.IntN(6) == 0 {
				base = reg()
			}
			sz := sizes[rng.IntN(4)]
			switch rng.IntN(4) {
			case 0:
				mode := uint8(bpfvm.ModeMEM)
				if rng.IntN(3) == 0 && sz != bpfvm.SizeDW {
					mode = bpfvm.ModeMEMSX
				}
				out = append(out, bpfvm.Insn{Op: bpfvm.ClassLDX | sz | mode, Dst: reg(), Src: base, Off: o})
			case 1:
				out = append(out, bpfvm.Insn{Op: bpfvm.ClassST | sz | bpfvm.ModeMEM, Dst: base, Off: o, Imm: imm()})
			case 2:
				out = append(out, bpfvm.Insn{Op: bpfvm.ClassSTX | sz | bpfvm.ModeMEM, Dst: base, Src: reg(), Off: o})
			default:
				sz = []uint8{bpfvm.SizeW, bpfvm.SizeDW}[rng.IntN(2)]
				ops := []int32{bpfvm.AtomicADD, bpfvm.AtomicOR, bpfvm.AtomicAND, bpfvm.AtomicXOR,
					bpfvm.AtomicADD | bpfvm.AtomicFETCH, bpfvm.AtomicOR | bpfvm.AtomicFETCH,
					bpfvm.AtomicAND | bpfvm.AtomicFETCH, bpfvm.AtomicXOR | bpfvm.AtomicFETCH,
					bpfvm.AtomicXCHG, bpfvm.AtomicCMPXCHG}
				out = append(out, bpfvm.Insn{Op: bpfvm.ClassSTX | sz | bpfvm.ModeATOMIC, Dst: base, Src: reg(), Off: o &^ 7, Imm: ops[rng.IntN(len(ops))]})
			}
		case k < 77: // 64-bit immediates
			v := rng.Uint64()
			src := uint8(0)
			if rng.IntN(4) == 0 {
				src = bpfvm.PseudoFunc
				v = uint64(uint32(off()))
			}
			out = append(out, bpfvm.Insn{Op: bpfvm.ClassLD | bpfvm.SizeDW | bpfvm.ModeIMM, Dst: reg(), Src: src, Imm: int32(uint32(v))},
				bpfvm.Insn{Imm: int32(uint32(v >> 32))})
		case k < 82:
			out = append(out, bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpCALL, Src: bpfvm.CallLocal, Imm: int32(off())})
		case k < 84:
			out = append(out, bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.SrcX | bpfvm.JmpCALL, Dst: reg()})
		case k < 86 && left > 4: // a map lookup: r1 = map 0 or 1, r2 = a key in the buffer or the stack
			if rng.IntN(2) == 0 {
				out = append(out, bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.SrcX | bpfvm.AluMOV, Dst: 2, Src: 10},
					bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.AluADD, Dst: 2, Imm: -8 * int32(1+rng.IntN(4))})
			} else {
				out = append(out, bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.SrcX | bpfvm.AluMOV, Dst: 2, Src: 1},
					bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.AluADD, Dst: 2, Imm: int32(rng.IntN(72) - 4)})
			}
			m := int32(rng.IntN(2))
			out = append(out, bpfvm.Insn{Op: bpfvm.ClassLD | bpfvm.SizeDW | bpfvm.ModeIMM, Dst: 1, Src: bpfvm.PseudoMapIdx, Imm: m}, bpfvm.Insn{},
				bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpCALL, Imm: 1})
		case k < 88: // helpers: get_smp_processor_id, ktime, prandom, bpf_loop
			out = append(out, bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpCALL, Imm: []int32{8, 181, 1000, 1000, 1001}[rng.IntN(5)]})
		case k < 89: // the numeric iterator kfuncs
			out = append(out, bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpCALL, Src: bpfvm.CallKfunc, Imm: int32(rng.IntN(3))})
		case k < 95:
			out = append(out, bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpEXIT})
		default: // raw
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], rng.Uint64())
			ins, _ := bpfvm.DecodeInsns(b[:])
			out = append(out, ins...)
		}
	}
	return append(out, bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.AluMOV, Imm: 1}, bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpEXIT})
}

// FuzzDiff runs random programs on the interpreter and the JIT, in one
// piece and in quanta, with an instruction limit: r0, registers, memory,
// fault, instruction count and every preemption point must be equal.
//
//	go test ./jit -run '^$' -fuzz FuzzDiff -fuzztime 10m -parallel 1
func FuzzDiff(f *testing.F) {
	if !Supported {
		f.Skip("no JIT on this platform")
	}
	for k := range 64 {
		var b [9]byte
		binary.LittleEndian.PutUint64(b[:], uint64(k)*0x9e3779b97f4a7c15)
		b[8] = byte(k)
		f.Add(b[:])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		insns := genProgram(data)
		q := uint64(1)
		if len(data) > 8 {
			q += uint64(data[8] % 13)
		}
		if d := differ(t, insns, q, 3000, 5); d != "" {
			t.Fatalf("%s\n%s", d, disasm(insns))
		}
	})
}

func disasm(insns []bpfvm.Insn) string {
	s := ""
	for i := range insns {
		s += bpfvm.Disasm(insns, i, nil) + "\n"
	}
	return s
}

func TestDiffRandom(t *testing.T) {
	if !Supported {
		t.Skip("no JIT on this platform")
	}
	n := 3000
	if testing.Short() || raceEnabled {
		n = 300
	}
	for k := range n {
		var b [9]byte
		binary.LittleEndian.PutUint64(b[:], uint64(k)*0x9e3779b97f4a7c15+7)
		b[8] = byte(k)
		insns := genProgram(b[:])
		if d := differ(t, insns, uint64(1+k%13), 3000, 5); d != "" {
			t.Fatalf("program %d: %s\n%s", k, d, disasm(insns))
		}
	}
}
