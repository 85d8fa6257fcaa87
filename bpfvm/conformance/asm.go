package conformance

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
)

// LineError is an assembly error at a line of the assembled text (from 1).
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// The suite's assembly syntax (uBPF's): one instruction per line,
// "mnemonic op1, op2, ...", registers %r0..%r10, memory operands
// [%rN+off] / [%rN-off] / [%rN], immediates in decimal or 0x hex, jump
// targets +off / -off or a label ("name:" on a line of its own; the first
// exit is also the label "exit").
//
//	ALU     add sub mul div sdiv or and lsh rsh mod smod xor mov arsh
//	        (64-bit; with suffix 32 the 32-bit form), neg neg32,
//	        movsx{8,16}{32,64} movsx3264, le16/32/64 be16/32/64
//	        swap16/32/64 bswap16/32/64
//	jumps   ja ja32 (imm) exit, jeq jgt jge jset jne jsgt jsge jlt jle
//	        jslt jsle (and their 32 forms): dst, src|imm, target
//	calls   call N | call helper N | call %rN (callx) | call local L |
//	        call runtime N
//	memory  lddw dst, imm64; ldx{b,h,w,dw} ldxs{b,h,w} dst, [src+off];
//	        st{b,h,w,dw} [dst+off], imm; stx{b,h,w,dw} [dst+off], src
//	atomics lock [fetch] {add,and,or,xor}[32] [dst+off], src;
//	        lock {xchg,cmpxchg}[32] [dst+off], src

var aluOps = map[string]uint8{
	"add": bpfvm.AluADD, "sub": bpfvm.AluSUB, "mul": bpfvm.AluMUL, "div": bpfvm.AluDIV,
	"sdiv": bpfvm.AluDIV, "or": bpfvm.AluOR, "and": bpfvm.AluAND, "lsh": bpfvm.AluLSH,
	"rsh": bpfvm.AluRSH, "neg": bpfvm.AluNEG, "mod": bpfvm.AluMOD, "smod": bpfvm.AluMOD,
	"xor": bpfvm.AluXOR, "mov": bpfvm.AluMOV, "arsh": bpfvm.AluARSH,
}

var jmpOps = map[string]uint8{
	"jeq": bpfvm.JmpJEQ, "jgt": bpfvm.JmpJGT, "jge": bpfvm.JmpJGE, "jset": bpfvm.JmpJSET,
	"jne": bpfvm.JmpJNE, "jsgt": bpfvm.JmpJSGT, "jsge": bpfvm.JmpJSGE, "jlt": bpfvm.JmpJLT,
	"jle": bpfvm.JmpJLE, "jslt": bpfvm.JmpJSLT, "jsle": bpfvm.JmpJSLE,
}

var memSizes = map[string]uint8{"b": bpfvm.SizeB, "h": bpfvm.SizeH, "w": bpfvm.SizeW, "dw": bpfvm.SizeDW}

var atomicOps = map[string]int32{
	"add": bpfvm.AtomicADD, "and": bpfvm.AtomicAND, "or": bpfvm.AtomicOR, "xor": bpfvm.AtomicXOR,
	"xchg": bpfvm.AtomicXCHG, "cmpxchg": bpfvm.AtomicCMPXCHG,
}

// fixup is a jump or local call whose target is a label.
type fixup struct {
	slot  int
	label string
	line  int
	inImm bool // the offset goes in Imm (call, ja32), not Off
}

type assembler struct {
	insns  []bpfvm.Insn
	labels map[string]int
	fixups []fixup
	line   int
	hi     int32 // the upper half of the last lddw's immediate
}

// Assemble assembles the suite's assembly syntax into raw little-endian
// instructions. Errors are *LineError.
func Assemble(src string) ([]byte, error) {
	a := &assembler{labels: map[string]int{}}
	for n, line := range strings.Split(src, "\n") {
		a.line = n + 1
		if err := a.assembleLine(line); err != nil {
			return nil, &LineError{Line: n + 1, Msg: err.Error()}
		}
	}
	for _, f := range a.fixups {
		t, ok := a.labels[f.label]
		if !ok {
			return nil, &LineError{Line: f.line, Msg: fmt.Sprintf("undefined label %q", f.label)}
		}
		rel := t - f.slot - 1
		if f.inImm {
			a.insns[f.slot].Imm = int32(rel)
		} else {
			a.insns[f.slot].Off = int16(rel)
		}
	}
	var out []byte
	for _, in := range a.insns {
		out = in.Encode(out)
	}
	return out, nil
}

func (a *assembler) assembleLine(line string) error {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil
	}
	mn := fields[0]
	ops := fields[1:]
	for i, o := range ops {
		ops[i] = strings.TrimSuffix(o, ",")
	}
	if label, ok := strings.CutSuffix(mn, ":"); ok {
		if len(ops) > 0 {
			return fmt.Errorf("label %q: put the instruction on the next line", label)
		}
		if _, dup := a.labels[label]; dup {
			return fmt.Errorf("label %q defined twice", label)
		}
		a.labels[label] = len(a.insns)
		return nil
	}
	if mn == "exit" {
		if _, ok := a.labels["exit"]; !ok {
			a.labels["exit"] = len(a.insns)
		}
	}
	in, err := a.encode(mn, ops)
	if err != nil {
		return err
	}
	a.insns = append(a.insns, in)
	if in.IsLdImm64() {
		a.insns = append(a.insns, bpfvm.Insn{Imm: a.hi})
	}
	return nil
}

func wantOps(mn string, ops []string, n int) error {
	if len(ops) != n {
		return fmt.Errorf("%s takes %d operands, found %d", mn, n, len(ops))
	}
	return nil
}

// encode encodes one instruction (the first slot of lddw; its second is
// in a.hi).
func (a *assembler) encode(mn string, ops []string) (bpfvm.Insn, error) {
	var in bpfvm.Insn
	switch {
	case mn == "exit":
		return bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpEXIT}, wantOps(mn, ops, 0)
	case mn == "ja" || mn == "ja32":
		if err := wantOps(mn, ops, 1); err != nil {
			return in, err
		}
		in.Op = bpfvm.ClassJMP | bpfvm.JmpJA
		if mn == "ja32" {
			in.Op = bpfvm.ClassJMP32 | bpfvm.JmpJA
		}
		off, err := a.target(ops[0], mn == "ja32")
		if mn == "ja32" {
			in.Imm = int32(off)
		} else {
			in.Off = int16(off)
		}
		return in, err
	case mn == "call":
		return a.call(ops)
	case mn == "lock":
		return a.atomic(ops)
	case mn == "lddw":
		if err := wantOps(mn, ops, 2); err != nil {
			return in, err
		}
		dst, err := reg(ops[0])
		if err != nil {
			return in, err
		}
		v, err := imm64(ops[1])
		a.hi = int32(v >> 32)
		return bpfvm.Insn{Op: bpfvm.ClassLD | bpfvm.SizeDW | bpfvm.ModeIMM, Dst: dst, Imm: int32(v)}, err
	}
	if jop, ok := jmpOps[strings.TrimSuffix(mn, "32")]; ok {
		return a.condJump(mn, jop, ops)
	}
	if strings.HasPrefix(mn, "ld") || strings.HasPrefix(mn, "st") {
		return memInsn(mn, ops)
	}
	return aluInsn(mn, ops)
}

func (a *assembler) condJump(mn string, op uint8, ops []string) (bpfvm.Insn, error) {
	in := bpfvm.Insn{Op: bpfvm.ClassJMP | op}
	if strings.HasSuffix(mn, "32") {
		in.Op = bpfvm.ClassJMP32 | op
	}
	if err := wantOps(mn, ops, 3); err != nil {
		return in, err
	}
	var err error
	if in.Dst, err = reg(ops[0]); err != nil {
		return in, err
	}
	if err := regOrImm(&in, ops[1]); err != nil {
		return in, err
	}
	off, err := a.target(ops[2], false)
	in.Off = int16(off)
	return in, err
}

// target reads a jump target: +N / -N, or a label fixed up at the end.
func (a *assembler) target(s string, inImm bool) (int64, error) {
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		if inImm {
			v, err := imm32(s)
			return int64(v), err
		}
		v, err := offset(s)
		return int64(v), err
	}
	a.fixups = append(a.fixups, fixup{slot: len(a.insns), label: s, line: a.line, inImm: inImm})
	return 0, nil
}

func (a *assembler) call(ops []string) (bpfvm.Insn, error) {
	in := bpfvm.Insn{Op: bpfvm.ClassJMP | bpfvm.JmpCALL}
	if len(ops) == 1 {
		ops = []string{"helper", ops[0]}
	}
	if err := wantOps("call", ops, 2); err != nil {
		return in, err
	}
	var err error
	switch ops[0] {
	case "helper":
		if strings.HasPrefix(ops[1], "%") {
			in.Op |= bpfvm.SrcX
			in.Dst, err = reg(ops[1])
			return in, err
		}
		in.Imm, err = imm32(ops[1])
	case "local":
		in.Src = bpfvm.CallLocal
		var off int64
		off, err = a.target(ops[1], true)
		in.Imm = int32(off)
	case "runtime":
		in.Src = bpfvm.CallKfunc
		in.Imm, err = imm32(ops[1])
	default:
		err = fmt.Errorf("call: unknown kind %q (helper, local or runtime)", ops[0])
	}
	return in, err
}

func (a *assembler) atomic(ops []string) (bpfvm.Insn, error) {
	var in bpfvm.Insn
	fetch := len(ops) > 0 && ops[0] == "fetch"
	if fetch {
		ops = ops[1:]
	}
	if err := wantOps("lock", ops, 3); err != nil {
		return in, err
	}
	name, is32 := strings.CutSuffix(ops[0], "32")
	op, ok := atomicOps[name]
	if !ok {
		return in, fmt.Errorf("lock: unknown atomic operation %q", ops[0])
	}
	if fetch {
		op |= bpfvm.AtomicFETCH
	}
	in.Op = bpfvm.ClassSTX | bpfvm.ModeATOMIC | bpfvm.SizeDW
	if is32 {
		in.Op = bpfvm.ClassSTX | bpfvm.ModeATOMIC | bpfvm.SizeW
	}
	in.Imm = op
	var err error
	if in.Dst, in.Off, err = memOperand(ops[1]); err != nil {
		return in, err
	}
	in.Src, err = reg(ops[2])
	return in, err
}

// memForms are the load and store mnemonics' prefixes, longest first;
// the size (b, h, w, dw) follows.
var memForms = []struct {
	prefix string
	op     uint8
}{
	{"ldxs", bpfvm.ClassLDX | bpfvm.ModeMEMSX},
	{"ldx", bpfvm.ClassLDX | bpfvm.ModeMEM},
	{"stx", bpfvm.ClassSTX | bpfvm.ModeMEM},
	{"st", bpfvm.ClassST | bpfvm.ModeMEM},
}

func memInsn(mn string, ops []string) (bpfvm.Insn, error) {
	var in bpfvm.Insn
	for _, f := range memForms {
		sz, ok := strings.CutPrefix(mn, f.prefix)
		if !ok {
			continue
		}
		size, ok := memSizes[sz]
		if !ok || f.op&bpfvm.ModeMEMSX != 0 && size == bpfvm.SizeDW {
			break
		}
		if err := wantOps(mn, ops, 2); err != nil {
			return in, err
		}
		in.Op = f.op | size
		var err error
		switch f.op & 7 {
		case bpfvm.ClassLDX:
			if in.Dst, err = reg(ops[0]); err == nil {
				in.Src, in.Off, err = memOperand(ops[1])
			}
		case bpfvm.ClassSTX:
			if in.Dst, in.Off, err = memOperand(ops[0]); err == nil {
				in.Src, err = reg(ops[1])
			}
		default:
			if in.Dst, in.Off, err = memOperand(ops[0]); err == nil {
				in.Imm, err = imm32(ops[1])
			}
		}
		return in, err
	}
	return in, fmt.Errorf("unknown instruction %q", mn)
}

func aluInsn(mn string, ops []string) (bpfvm.Insn, error) {
	var in bpfvm.Insn
	for _, sw := range []struct {
		prefix string
		op     uint8
	}{
		{"bswap", bpfvm.ClassALU64 | bpfvm.AluEND}, {"swap", bpfvm.ClassALU64 | bpfvm.AluEND},
		{"be", bpfvm.ClassALU | bpfvm.AluEND | bpfvm.SrcX}, {"le", bpfvm.ClassALU | bpfvm.AluEND},
	} {
		if width, ok := strings.CutPrefix(mn, sw.prefix); ok && (width == "16" || width == "32" || width == "64") {
			if err := wantOps(mn, ops, 1); err != nil {
				return in, err
			}
			w, _ := strconv.Atoi(width)
			in = bpfvm.Insn{Op: sw.op, Imm: int32(w)}
			var err error
			in.Dst, err = reg(ops[0])
			return in, err
		}
	}
	name, class := mn, uint8(bpfvm.ClassALU64)
	if n, ok := strings.CutSuffix(mn, "32"); ok {
		name, class = n, bpfvm.ClassALU
	} else if n, ok := strings.CutSuffix(mn, "64"); ok {
		name = n
	}
	if w, ok := strings.CutPrefix(name, "movsx"); ok {
		switch w {
		case "8", "16", "32":
			n, _ := strconv.Atoi(w)
			in.Off = int16(n)
			name = "mov"
		default:
			return in, fmt.Errorf("unknown instruction %q", mn)
		}
	}
	op, ok := aluOps[name]
	if !ok {
		return in, fmt.Errorf("unknown instruction %q", mn)
	}
	if name == "sdiv" || name == "smod" {
		in.Off = 1
	}
	in.Op = class | op
	n := 2
	if name == "neg" {
		n = 1
	}
	if err := wantOps(mn, ops, n); err != nil {
		return in, err
	}
	var err error
	if in.Dst, err = reg(ops[0]); err != nil {
		return in, err
	}
	if n == 2 {
		err = regOrImm(&in, ops[1])
	}
	return in, err
}

// regOrImm sets the source operand: a register (and SrcX) or an immediate.
func regOrImm(in *bpfvm.Insn, s string) error {
	var err error
	if strings.HasPrefix(s, "%") {
		in.Op |= bpfvm.SrcX
		in.Src, err = reg(s)
		return err
	}
	in.Imm, err = imm32(s)
	return err
}

// reg reads %r0..%r15 (the fields hold 4 bits; the suite's negative tests
// name registers above r10).
func reg(s string) (uint8, error) {
	if n, ok := strings.CutPrefix(s, "%r"); ok {
		if v, err := strconv.ParseUint(n, 10, 8); err == nil && v <= 15 {
			return uint8(v), nil
		}
	}
	return 0, fmt.Errorf("%q is not a register (%%r0..%%r10)", s)
}

// memOperand reads [%rN+off], [%rN-off] or [%rN].
func memOperand(s string) (uint8, int16, error) {
	inner, ok := strings.CutPrefix(s, "[")
	if inner, ok = strings.CutSuffix(inner, "]"); !ok {
		return 0, 0, fmt.Errorf("%q is not a memory operand [%%rN+off]", s)
	}
	i := strings.IndexAny(inner, "+-")
	if i < 0 {
		r, err := reg(inner)
		return r, 0, err
	}
	r, err := reg(inner[:i])
	if err != nil {
		return 0, 0, err
	}
	off, err := offset(inner[i:])
	return r, off, err
}

// signedNum splits an optional sign and reads a 0x hex or decimal
// magnitude.
func signedNum(s string) (neg bool, mag uint64, err error) {
	t := s
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	if h, ok := strings.CutPrefix(t, "0x"); ok {
		mag, err = strconv.ParseUint(h, 16, 64)
	} else {
		mag, err = strconv.ParseUint(t, 10, 64)
	}
	if err != nil {
		return false, 0, fmt.Errorf("%q is not a number", s)
	}
	return neg, mag, nil
}

// imm32 reads a 32-bit immediate: hex up to 0xffffffff (the bits), or a
// decimal in the int32 range.
func imm32(s string) (int32, error) {
	v, err := field(s, 32, "immediate")
	return int32(uint32(v)), err
}

// offset reads a 16-bit offset: hex up to 0xffff (the bits), or a
// decimal in the int16 range.
func offset(s string) (int16, error) {
	v, err := field(s, 16, "offset")
	return int16(uint16(v)), err
}

// field reads a number for a bits-wide field: unsigned hex fitting the
// field (its bit pattern), or a signed value in the field's range.
func field(s string, bits uint, what string) (int64, error) {
	neg, mag, err := signedNum(s)
	if err != nil {
		return 0, err
	}
	switch {
	case strings.Contains(s, "0x") && !neg && mag < 1<<bits, !neg && mag < 1<<(bits-1):
		return int64(mag), nil
	case neg && mag <= 1<<(bits-1):
		return -int64(mag), nil
	}
	return 0, fmt.Errorf("%s %s out of the %d-bit range", what, s, bits)
}

// imm64 reads lddw's immediate: hex (the bits), negative decimal, or
// unsigned decimal.
func imm64(s string) (uint64, error) {
	neg, mag, err := signedNum(s)
	if err != nil {
		return 0, err
	}
	if neg {
		if mag > 1<<63 {
			return 0, fmt.Errorf("immediate %s out of the 64-bit range", s)
		}
		return -mag, nil
	}
	return mag, nil
}
