package conformance_test

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/bpfvm/conformance"
)

// An independent reference of RFC 9669's arithmetic (section 4.1), byte
// swap (4.2) and jump conditions (4.3), written from the RFC's text, and
// both engines compared with it on the values where implementations
// differ: zero, ±1, the 32- and 64-bit extremes and their neighbours.
// The suite checks a few operands per instruction; this checks every
// pair of these.

var rfcValues = []uint64{
	0, 1, 2, 7, math.MaxUint64, math.MaxUint64 - 6, 0x7fffffff, 0x80000000, 0xffffffff,
	0x100000000, 0x1_0000_0001, 0xffff_ffff_8000_0000, 1 << 63, 1<<63 - 1, 0x8080_8080_8080_8080,
	0x1122_3344_5566_7788, 63, 64, 31, 32, 0xff80, 0x7f,
}

// rfcImms are the immediates: every value's low 32 bits, as int32.
func rfcImms() []int32 {
	seen := map[int32]bool{}
	var out []int32
	for _, v := range rfcValues {
		if i := int32(uint32(v)); !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

func sx(v uint64, width int) uint64 { // sign-extend the low width bits
	return uint64(int64(v<<(64-width)) >> (64 - width))
}

// rfcALU64 is section 4.1 for ALU64: dst and src are 64-bit (an immediate
// is sign-extended to 64 bits before it reaches here).
func rfcALU64(op uint8, off int16, dst, src uint64) uint64 {
	switch op {
	case bpfvm.AluADD:
		return dst + src
	case bpfvm.AluSUB:
		return dst - src
	case bpfvm.AluMUL:
		return dst * src
	case bpfvm.AluDIV: // "if src == 0, dst = 0"; SDIV truncates toward zero
		if src == 0 {
			return 0
		}
		if off == 1 {
			if int64(dst) == math.MinInt64 && int64(src) == -1 {
				return dst // LLONG_MIN / -1 overflows to LLONG_MIN
			}
			return uint64(int64(dst) / int64(src))
		}
		return dst / src
	case bpfvm.AluMOD: // "if src == 0, dst is unchanged"; SMOD has the dividend's sign
		if src == 0 {
			return dst
		}
		if off == 1 {
			if int64(src) == -1 {
				return 0
			}
			return uint64(int64(dst) % int64(src))
		}
		return dst % src
	case bpfvm.AluOR:
		return dst | src
	case bpfvm.AluAND:
		return dst & src
	case bpfvm.AluXOR:
		return dst ^ src
	case bpfvm.AluLSH: // shifts mask the amount to 63
		return dst << (src & 63)
	case bpfvm.AluRSH:
		return dst >> (src & 63)
	case bpfvm.AluARSH:
		return uint64(int64(dst) >> (src & 63))
	case bpfvm.AluNEG:
		return -dst
	case bpfvm.AluMOV: // MOVSX: off is the source width
		if off != 0 {
			return sx(src, int(off))
		}
		return src
	}
	panic(op)
}

// rfcALU32 is section 4.1 for ALU: 32-bit operands, the result
// zero-extended ("the upper 32 bits of dst are zeroed").
func rfcALU32(op uint8, off int16, dst, src uint64) uint64 {
	d, s := uint32(dst), uint32(src)
	var r uint32
	switch op {
	case bpfvm.AluDIV:
		switch {
		case s == 0:
			r = 0
		case off == 1 && int32(d) == math.MinInt32 && int32(s) == -1:
			r = d
		case off == 1:
			r = uint32(int32(d) / int32(s))
		default:
			r = d / s
		}
	case bpfvm.AluMOD:
		switch {
		case s == 0:
			r = d
		case off == 1 && int32(s) == -1:
			r = 0
		case off == 1:
			r = uint32(int32(d) % int32(s))
		default:
			r = d % s
		}
	case bpfvm.AluLSH:
		r = d << (s & 31)
	case bpfvm.AluRSH:
		r = d >> (s & 31)
	case bpfvm.AluARSH:
		r = uint32(int32(d) >> (s & 31))
	case bpfvm.AluMOV:
		r = s
		if off != 0 {
			r = uint32(sx(uint64(s), int(off)))
		}
	default:
		r = uint32(rfcALU64(op, 0, uint64(d), uint64(s)))
	}
	return uint64(r)
}

// rfcSwap is section 4.2 on a little-endian machine: TO_LE truncates to
// the width, TO_BE and (ALU64) BSWAP swap the low width bits.
func rfcSwap(class uint8, toBE bool, width int, v uint64) uint64 {
	switch {
	case class == bpfvm.ClassALU && !toBE:
		if width == 64 {
			return v
		}
		return v & (1<<width - 1)
	case width == 16:
		return uint64(bits.ReverseBytes16(uint16(v)))
	case width == 32:
		return uint64(bits.ReverseBytes32(uint32(v)))
	}
	return bits.ReverseBytes64(v)
}

// rfcJump is section 4.3's conditions; JMP32 compares the low 32 bits.
func rfcJump(op uint8, is32 bool, dst, src uint64) bool {
	if is32 {
		dst, src = sx(dst&0xffffffff, 32), sx(src&0xffffffff, 32)
		// unsigned conditions compare the 32-bit values
		switch op {
		case bpfvm.JmpJGT, bpfvm.JmpJGE, bpfvm.JmpJLT, bpfvm.JmpJLE:
			dst, src = dst&0xffffffff, src&0xffffffff
		}
	}
	switch op {
	case bpfvm.JmpJEQ:
		return dst == src
	case bpfvm.JmpJNE:
		return dst != src
	case bpfvm.JmpJSET:
		return dst&src != 0
	case bpfvm.JmpJGT:
		return dst > src
	case bpfvm.JmpJGE:
		return dst >= src
	case bpfvm.JmpJLT:
		return dst < src
	case bpfvm.JmpJLE:
		return dst <= src
	case bpfvm.JmpJSGT:
		return int64(dst) > int64(src)
	case bpfvm.JmpJSGE:
		return int64(dst) >= int64(src)
	case bpfvm.JmpJSLT:
		return int64(dst) < int64(src)
	case bpfvm.JmpJSLE:
		return int64(dst) <= int64(src)
	}
	panic(op)
}

func lddw(b []byte, reg uint8, v uint64) []byte {
	b = bpfvm.Insn{Op: bpfvm.ClassLD | bpfvm.SizeDW | bpfvm.ModeIMM, Dst: reg, Imm: int32(v)}.Encode(b)
	return bpfvm.Insn{Imm: int32(v >> 32)}.Encode(b)
}

var exitInsn = bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpEXIT}

// rfcCase is one program and the r0 the reference expects.
type rfcCase struct {
	what string
	code []byte
	want uint64
}

func rfcCases() []rfcCase {
	var cases []rfcCase
	type aluOp struct {
		op  uint8
		off int16
	}
	ops := []aluOp{
		{bpfvm.AluADD, 0}, {bpfvm.AluSUB, 0}, {bpfvm.AluMUL, 0}, {bpfvm.AluDIV, 0}, {bpfvm.AluDIV, 1},
		{bpfvm.AluOR, 0}, {bpfvm.AluAND, 0}, {bpfvm.AluLSH, 0}, {bpfvm.AluRSH, 0}, {bpfvm.AluMOD, 0},
		{bpfvm.AluMOD, 1}, {bpfvm.AluXOR, 0}, {bpfvm.AluMOV, 0}, {bpfvm.AluARSH, 0},
		{bpfvm.AluMOV, 8}, {bpfvm.AluMOV, 16}, {bpfvm.AluMOV, 32},
	}
	for _, class := range []uint8{bpfvm.ClassALU64, bpfvm.ClassALU} {
		for _, o := range ops {
			if class == bpfvm.ClassALU && o.op == bpfvm.AluMOV && o.off == 32 {
				continue // MOVSX 32 exists for ALU64 only
			}
			ref := func(d, s uint64) uint64 {
				if class == bpfvm.ClassALU {
					return rfcALU32(o.op, o.off, d, s)
				}
				return rfcALU64(o.op, o.off, d, s)
			}
			for _, d := range rfcValues {
				for _, s := range rfcValues { // X: r0 op= r1
					code := lddw(lddw(nil, 0, d), 1, s)
					code = bpfvm.Insn{Op: class | bpfvm.SrcX | o.op, Dst: 0, Src: 1, Off: o.off}.Encode(code)
					cases = append(cases, rfcCase{fmt.Sprintf("class %#x op %#x off %d X: %#x, %#x", class, o.op, o.off, d, s), exitInsn.Encode(code), ref(d, s)})
				}
				if o.off == 8 || o.off == 16 || o.off == 32 {
					continue // MOVSX takes a register
				}
				for _, imm := range rfcImms() { // K: the immediate sign-extended to 64 bits
					code := bpfvm.Insn{Op: class | bpfvm.SrcK | o.op, Dst: 0, Off: o.off, Imm: imm}.Encode(lddw(nil, 0, d))
					cases = append(cases, rfcCase{fmt.Sprintf("class %#x op %#x off %d K: %#x, %d", class, o.op, o.off, d, imm), exitInsn.Encode(code), ref(d, uint64(int64(imm)))})
				}
			}
		}
		for _, d := range rfcValues {
			code := bpfvm.Insn{Op: class | bpfvm.AluNEG}.Encode(lddw(nil, 0, d))
			want := rfcALU64(bpfvm.AluNEG, 0, d, 0)
			if class == bpfvm.ClassALU {
				want = uint64(uint32(want))
			}
			cases = append(cases, rfcCase{fmt.Sprintf("class %#x neg %#x", class, d), exitInsn.Encode(code), want})
			for _, w := range []int{16, 32, 64} {
				for _, src := range []uint8{bpfvm.SrcK, bpfvm.SrcX} {
					if class == bpfvm.ClassALU64 && src == bpfvm.SrcX {
						continue // ALU64 END has only the unconditional BSWAP
					}
					code := bpfvm.Insn{Op: class | src | bpfvm.AluEND, Imm: int32(w)}.Encode(lddw(nil, 0, d))
					cases = append(cases, rfcCase{fmt.Sprintf("class %#x end src %#x %d: %#x", class, src, w, d), exitInsn.Encode(code), rfcSwap(class, src == bpfvm.SrcX, w, d)})
				}
			}
		}
	}
	jumps := []uint8{bpfvm.JmpJEQ, bpfvm.JmpJGT, bpfvm.JmpJGE, bpfvm.JmpJSET, bpfvm.JmpJNE, bpfvm.JmpJSGT,
		bpfvm.JmpJSGE, bpfvm.JmpJLT, bpfvm.JmpJLE, bpfvm.JmpJSLT, bpfvm.JmpJSLE}
	jump := func(what string, setup []byte, in bpfvm.Insn, taken bool) rfcCase {
		code := bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.AluMOV, Dst: 0}.Encode(setup)
		in.Off = 1
		code = exitInsn.Encode(in.Encode(code))
		code = exitInsn.Encode(bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.AluMOV, Dst: 0, Imm: 1}.Encode(code))
		var want uint64
		if taken {
			want = 1
		}
		return rfcCase{what, code, want}
	}
	for _, class := range []uint8{bpfvm.ClassJMP, bpfvm.ClassJMP32} {
		for _, op := range jumps {
			for _, d := range rfcValues {
				for _, s := range rfcValues {
					cases = append(cases, jump(fmt.Sprintf("class %#x jump %#x X: %#x, %#x", class, op, d, s), lddw(lddw(nil, 1, d), 2, s),
						bpfvm.Insn{Op: class | bpfvm.SrcX | op, Dst: 1, Src: 2}, rfcJump(op, class == bpfvm.ClassJMP32, d, s)))
				}
				for _, imm := range rfcImms() {
					cases = append(cases, jump(fmt.Sprintf("class %#x jump %#x K: %#x, %d", class, op, d, imm), lddw(nil, 1, d),
						bpfvm.Insn{Op: class | bpfvm.SrcK | op, Dst: 1, Imm: imm}, rfcJump(op, class == bpfvm.ClassJMP32, d, uint64(int64(imm)))))
				}
			}
		}
	}
	return cases
}

// TestRFC9669Reference runs every case on both engines and compares r0
// with the reference (with -short, every fourth case).
func TestRFC9669Reference(t *testing.T) {
	cases := rfcCases()
	if testing.Short() {
		var some []rfcCase
		for i := 0; i < len(cases); i += 4 {
			some = append(some, cases[i])
		}
		cases = some
	}
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			failed := 0
			for _, c := range cases {
				got, err := conformance.Exec(c.code, nil, e.new())
				if err != nil || got != c.want {
					if failed++; failed <= 20 {
						t.Errorf("%s: r0 %#x, %v; RFC 9669: %#x", c.what, got, err, c.want)
					}
				}
			}
			if failed > 0 {
				t.Errorf("%d of %d cases differ from the reference", failed, len(cases))
			}
		})
	}
}

// TestRFC9669UnusedFields: RFC 9669 section 3, "unused fields SHALL be
// cleared to zero". A raw program runs unverified, so the engines
// themselves refuse an instruction with a non-zero unused field (as the
// kernel's verifier does: "uses reserved fields") rather than give it a
// meaning; each base instruction first runs as it is.
func TestRFC9669UnusedFields(t *testing.T) {
	type field int
	const (
		dst field = iota
		src
		off
		imm
	)
	set := func(in bpfvm.Insn, f field) bpfvm.Insn {
		switch f {
		case dst:
			in.Dst = 1
		case src:
			in.Src = 1
		case off:
			in.Off = 3 // not a meaning of off for any of these (1: sdiv, 8/16/32: movsx)
		case imm:
			in.Imm = 1
		}
		return in
	}
	type base struct {
		name   string
		in     bpfvm.Insn
		unused []field
	}
	var bases []base
	for _, class := range []uint8{bpfvm.ClassALU64, bpfvm.ClassALU} {
		for _, op := range []uint8{bpfvm.AluADD, bpfvm.AluSUB, bpfvm.AluMUL, bpfvm.AluDIV, bpfvm.AluOR, bpfvm.AluAND,
			bpfvm.AluLSH, bpfvm.AluRSH, bpfvm.AluMOD, bpfvm.AluXOR, bpfvm.AluMOV, bpfvm.AluARSH} {
			bases = append(bases,
				base{fmt.Sprintf("alu %#x K", class|op), bpfvm.Insn{Op: class | op, Imm: 3}, []field{src, off}},
				base{fmt.Sprintf("alu %#x X", class|op|bpfvm.SrcX), bpfvm.Insn{Op: class | op | bpfvm.SrcX, Src: 2}, []field{imm, off}})
		}
		bases = append(bases,
			base{fmt.Sprintf("neg %#x", class|bpfvm.AluNEG), bpfvm.Insn{Op: class | bpfvm.AluNEG}, []field{src, off, imm}},
			base{fmt.Sprintf("end %#x", class|bpfvm.AluEND), bpfvm.Insn{Op: class | bpfvm.AluEND, Imm: 16}, []field{src, off}})
	}
	for _, class := range []uint8{bpfvm.ClassJMP, bpfvm.ClassJMP32} {
		for _, op := range []uint8{bpfvm.JmpJEQ, bpfvm.JmpJGT, bpfvm.JmpJSET, bpfvm.JmpJSLE} {
			bases = append(bases,
				base{fmt.Sprintf("jump %#x K", class|op), bpfvm.Insn{Op: class | op, Imm: 3}, []field{src}},
				base{fmt.Sprintf("jump %#x X", class|op|bpfvm.SrcX), bpfvm.Insn{Op: class | op | bpfvm.SrcX, Src: 2}, []field{imm}})
		}
	}
	bases = append(bases,
		base{"ja", bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpJA}, []field{dst, src, imm}},
		base{"ja32", bpfvm.Insn{Op: bpfvm.ClassJMP32 | bpfvm.JmpJA}, []field{dst, src, off}},
		base{"call", bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpCALL, Imm: conformance.HelperUnwind}, []field{dst, off}},
		base{"exit", bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpEXIT}, []field{dst, src, off, imm}})
	for _, size := range []uint8{bpfvm.SizeB, bpfvm.SizeH, bpfvm.SizeW, bpfvm.SizeDW} {
		bases = append(bases,
			base{fmt.Sprintf("ldx %#x", bpfvm.ClassLDX|bpfvm.ModeMEM|size), bpfvm.Insn{Op: bpfvm.ClassLDX | bpfvm.ModeMEM | size, Src: 10, Off: -8}, []field{imm}},
			base{fmt.Sprintf("st %#x", bpfvm.ClassST|bpfvm.ModeMEM|size), bpfvm.Insn{Op: bpfvm.ClassST | bpfvm.ModeMEM | size, Dst: 10, Off: -8}, []field{src}},
			base{fmt.Sprintf("stx %#x", bpfvm.ClassSTX|bpfvm.ModeMEM|size), bpfvm.Insn{Op: bpfvm.ClassSTX | bpfvm.ModeMEM | size, Dst: 10, Off: -8}, []field{imm}})
	}
	prog := func(in bpfvm.Insn) []byte {
		// r2 = 5 (the X forms' source, a helper's argument), the instruction, exit
		code := bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.AluMOV, Dst: 2, Imm: 5}.Encode(nil)
		return exitInsn.Encode(in.Encode(code))
	}
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			for _, b := range bases {
				if _, err := conformance.Exec(prog(b.in), nil, e.new()); err != nil {
					t.Errorf("%s: the base instruction faults: %v", b.name, err)
					continue
				}
				for _, f := range b.unused {
					_, err := conformance.Exec(prog(set(b.in, f)), nil, e.new())
					if err == nil || !strings.Contains(err.Error(), "invalid instruction") {
						t.Errorf("%s with unused field %d set: %v, want an invalid instruction fault", b.name, f, err)
					}
				}
			}
		})
	}
}

// rfcAtomic is section 5.3: the new memory value and, for the fetching
// forms, the value the register receives (the old value; 32-bit forms
// zero-extend it). CMPXCHG compares r0 (its low 32 bits for W) and loads
// the old value into r0.
func rfcAtomic(op int32, is32 bool, old, src, r0 uint64) (mem, fetched uint64) {
	mask := uint64(math.MaxUint64)
	if is32 {
		mask = math.MaxUint32
	}
	old, src = old&mask, src&mask
	switch op &^ bpfvm.AtomicFETCH {
	case bpfvm.AtomicADD:
		mem = old + src
	case bpfvm.AtomicOR:
		mem = old | src
	case bpfvm.AtomicAND:
		mem = old & src
	case bpfvm.AtomicXOR:
		mem = old ^ src
	case bpfvm.AtomicXCHG &^ bpfvm.AtomicFETCH:
		mem = src
	case bpfvm.AtomicCMPXCHG &^ bpfvm.AtomicFETCH:
		mem = old
		if r0&mask == old {
			mem = src
		}
	}
	return mem & mask, old
}

// TestRFC9669Atomics compares every atomic operation, 32 and 64 bit, with
// and without fetch, on the edge values with the reference: the memory
// word after it, and the register that receives the old value.
func TestRFC9669Atomics(t *testing.T) {
	ops := []int32{bpfvm.AtomicADD, bpfvm.AtomicOR, bpfvm.AtomicAND, bpfvm.AtomicXOR,
		bpfvm.AtomicADD | bpfvm.AtomicFETCH, bpfvm.AtomicOR | bpfvm.AtomicFETCH, bpfvm.AtomicAND | bpfvm.AtomicFETCH,
		bpfvm.AtomicXOR | bpfvm.AtomicFETCH, bpfvm.AtomicXCHG, bpfvm.AtomicCMPXCHG}
	values := rfcValues
	if testing.Short() {
		values = values[:8]
	}
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			failed := 0
			for _, op := range ops {
				for _, is32 := range []bool{false, true} {
					size := uint8(bpfvm.SizeDW)
					if is32 {
						size = bpfvm.SizeW
					}
					for _, old := range values {
						// r0 matters to CMPXCHG only: equal to the word, equal in
						// the low 32 bits only, different
						r0s := []uint64{old}
						if op == bpfvm.AtomicCMPXCHG {
							r0s = append(r0s, old^0xffff_ffff_0000_0000, old^1)
						}
						for _, src := range values {
							for _, r0 := range r0s {
								// r2 = src; r0 = r0; atomic [r1+0], r2; then return the memory
								// word (ldxdw) or the fetched register
								code := lddw(lddw(nil, 2, src), 0, r0)
								code = bpfvm.Insn{Op: bpfvm.ClassSTX | bpfvm.ModeATOMIC | size, Dst: 1, Src: 2, Imm: op}.Encode(code)
								fetchReg := uint8(2)
								if op == bpfvm.AtomicCMPXCHG {
									fetchReg = 0
								}
								regCode := exitInsn.Encode(bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.AluMOV | bpfvm.SrcX, Src: fetchReg}.Encode(code))
								mem := make([]byte, 8)
								for i := range 8 {
									mem[i] = byte(old >> (8 * i))
								}
								wantMem, fetched := rfcAtomic(op, is32, old, src, r0)
								if is32 {
									wantMem |= old &^ math.MaxUint32 // the word's upper half is untouched
								}
								wantReg := fetched
								if op&bpfvm.AtomicFETCH == 0 {
									wantReg = src // not fetching: the register keeps its value
								}
								gotReg, err := conformance.Exec(regCode, mem, e.new())
								var gotMem uint64
								for i := range 8 {
									gotMem |= uint64(mem[i]) << (8 * i)
								}
								if err != nil || gotReg != wantReg || gotMem != wantMem {
									if failed++; failed <= 20 {
										t.Errorf("atomic %#x 32-bit %v, mem %#x, src %#x, r0 %#x: register %#x, memory %#x, %v; RFC 9669: %#x, %#x",
											op, is32, old, src, r0, gotReg, gotMem, err, wantReg, wantMem)
									}
								}
							}
						}
					}
				}
			}
			if failed > 0 {
				t.Errorf("%d cases differ from the reference", failed)
			}
		})
	}
}
