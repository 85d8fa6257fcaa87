package bpfvm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// AsmError is an error of Assemble, with the 1-based line and column it
// refers to.
type AsmError struct {
	Line, Col int
	Msg       string
}

func (e *AsmError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Assemble translates assembly source in the syntax Disasm prints into
// instructions. Helpers and kfuncs can be called by number only
// ("call 1", "call kfunc 3", or the printed "call name#1"); see
// AssembleWith to call them by name.
//
// Besides instructions, a line may hold a label ("loop:", then "goto loop",
// "if r1 > 0 goto loop", "call fn", "r1 = func fn") and a comment, from ";"
// or "//" to the end of the line. An instruction index ("12:") and a kernel
// opcode ("(b7)") in front of an instruction are ignored, so Listing and
// verifier logs read back. Numbers are decimal or 0x hex, optionally
// negative; a 32-bit immediate may be given as its unsigned bit pattern
// (0xffffffff is -1).
func Assemble(src string) ([]Insn, error) { return AssembleWith(src, nil) }

// AssembleWith is Assemble resolving "call name" and "call kfunc name"
// through reg.
func AssembleWith(src string, reg *Registry) ([]Insn, error) {
	a := &assembler{reg: reg, labels: make(map[string]int)}
	for n, line := range strings.Split(src, "\n") {
		if err := a.parseLine(n+1, line); err != nil {
			return nil, err
		}
	}
	for _, f := range a.fixups {
		target, ok := a.labels[f.label]
		if !ok {
			if f.call {
				if id, kf, ok := a.lookupFunc(f.label); ok {
					a.out[f.pc].Imm = id
					if kf {
						a.out[f.pc].Src = CallKfunc
					} else {
						a.out[f.pc].Src = CallHelper
					}
					continue
				}
				msg := fmt.Sprintf("unknown label, helper or kfunc %q", f.label)
				if reg == nil {
					msg += " (helpers and kfuncs by name need AssembleWith and a Registry)"
				}
				return nil, &AsmError{f.line, f.col, msg}
			}
			return nil, &AsmError{f.line, f.col, fmt.Sprintf("unknown label %q", f.label)}
		}
		rel := target - (f.pc + 1)
		if f.wide {
			a.out[f.pc].Imm = int32(rel)
		} else {
			if rel < math.MinInt16 || rel > math.MaxInt16 {
				return nil, &AsmError{f.line, f.col, fmt.Sprintf("jump to %q is %d instructions away, beyond a 16-bit offset (use gotol)", f.label, rel)}
			}
			a.out[f.pc].Off = int16(rel)
		}
	}
	return a.out, nil
}

func (a *assembler) lookupFunc(name string) (id int32, kfunc bool, ok bool) {
	if a.reg == nil {
		return 0, false, false
	}
	for _, h := range a.reg.helpers {
		if h != nil && h.Name == name {
			return h.ID, false, true
		}
	}
	if id, ok := a.reg.KfuncByName(name); ok {
		return id, true, true
	}
	return 0, false, false
}

type fixup struct {
	pc        int
	label     string
	line, col int
	wide      bool // Imm (gotol, call, func) instead of Off
	call      bool // may also name a helper or kfunc
}

type assembler struct {
	reg    *Registry
	out    []Insn
	labels map[string]int
	fixups []fixup

	// current line
	toks []token
	pos  int
	line int
	eol  int // column after the last character
}

type tokKind uint8

const (
	tIdent tokKind = iota + 1
	tNum
	tPunct // single character: ( ) * , [ ] # : + -
	tOp    // assignment, arithmetic or comparison operator
)

type token struct {
	kind tokKind
	text string
	col  int
}

func (a *assembler) errf(col int, format string, args ...any) error {
	return &AsmError{a.line, col, fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// opChars are the characters operators are made of.
const opChars = "=<>!&|^%/*+-"

func (a *assembler) lex(s string) error {
	a.toks = a.toks[:0]
	for i := 0; i < len(s); {
		c := s[i]
		col := i + 1
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == ';' || c == '/' && i+1 < len(s) && s[i+1] == '/':
			a.eol = col
			return nil
		case c == 's' && i+1 < len(s) && strings.IndexByte("<>/%", s[i+1]) >= 0:
			j := i + 1
			for j < len(s) && strings.IndexByte("=<>/%", s[j]) >= 0 {
				j++
			}
			a.toks = append(a.toks, token{tOp, s[i:j], col})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			a.toks = append(a.toks, token{tIdent, s[i:j], col})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			a.toks = append(a.toks, token{tNum, s[i:j], col})
			i = j
		case strings.IndexByte("(),[]#:", c) >= 0:
			a.toks = append(a.toks, token{tPunct, s[i : i+1], col})
			i++
		case strings.IndexByte(opChars, c) >= 0:
			j := i + 1
			for j < len(s) && strings.IndexByte("=<>", s[j]) >= 0 {
				j++
			}
			op := s[i:j]
			if op == "+" || op == "-" || op == "*" {
				a.toks = append(a.toks, token{tPunct, op, col})
			} else {
				a.toks = append(a.toks, token{tOp, op, col})
			}
			i = j
		default:
			return a.errf(col, "unexpected character %q", c)
		}
	}
	a.eol = len(s) + 1
	return nil
}

func (a *assembler) peek() token {
	if a.pos < len(a.toks) {
		return a.toks[a.pos]
	}
	return token{col: a.eol}
}

func (a *assembler) next() token {
	t := a.peek()
	if a.pos < len(a.toks) {
		a.pos++
	}
	return t
}

func (a *assembler) is(text string) bool {
	t := a.peek()
	return t.kind != 0 && t.kind != tNum && t.text == text
}

func (a *assembler) accept(text string) bool {
	if a.is(text) {
		a.pos++
		return true
	}
	return false
}

func describe(t token) string {
	if t.kind == 0 {
		return "end of line"
	}
	return strconv.Quote(t.text)
}

func (a *assembler) expect(text string) error {
	if a.accept(text) {
		return nil
	}
	t := a.peek()
	return a.errf(t.col, "expected %q, found %s", text, describe(t))
}

func (a *assembler) end() error {
	if t := a.peek(); t.kind != 0 {
		return a.errf(t.col, "unexpected %s after instruction", describe(t))
	}
	return nil
}

// reg parses a register; w reports a w-register.
func (a *assembler) register() (r uint8, w bool, col int, err error) {
	t := a.next()
	if t.kind == tIdent && len(t.text) >= 2 && (t.text[0] == 'r' || t.text[0] == 'w') {
		if n, err := strconv.Atoi(t.text[1:]); err == nil && n >= 0 && n <= 10 && t.text[1] != '+' {
			return uint8(n), t.text[0] == 'w', t.col, nil
		}
	}
	return 0, false, t.col, a.errf(t.col, "expected a register r0..r10 or w0..w10, found %s", describe(t))
}

func (a *assembler) isReg() bool {
	t := a.peek()
	if t.kind != tIdent || len(t.text) < 2 || (t.text[0] != 'r' && t.text[0] != 'w') {
		return false
	}
	n, err := strconv.Atoi(t.text[1:])
	return err == nil && n >= 0 && n <= 10
}

// num parses an optionally negative number into [lo, hi].
func (a *assembler) num(lo, hi int64) (int64, int, error) {
	col := a.peek().col
	neg := false
	if a.accept("-") {
		neg = true
	} else {
		a.accept("+")
	}
	t := a.next()
	if t.kind != tNum {
		return 0, col, a.errf(t.col, "expected a number, found %s", describe(t))
	}
	u, err := strconv.ParseUint(t.text, 0, 64)
	if err != nil {
		return 0, col, a.errf(t.col, "bad number %q", t.text)
	}
	var v int64
	if neg {
		if u > 1<<63 {
			return 0, col, a.errf(col, "number -%s out of range", t.text)
		}
		v = -int64(u)
	} else {
		if u > math.MaxInt64 {
			if hi == math.MaxInt64 { // 64-bit immediate: accept the bit pattern
				return int64(u), col, nil
			}
			return 0, col, a.errf(col, "number %s out of range [%d, %d]", t.text, lo, hi)
		}
		v = int64(u)
	}
	if v < lo || v > hi {
		return 0, col, a.errf(col, "number %d out of range [%d, %d]", v, lo, hi)
	}
	return v, col, nil
}

// imm32 parses a 32-bit immediate: signed, or an unsigned bit pattern.
func (a *assembler) imm32() (int32, error) {
	v, _, err := a.num(math.MinInt32, math.MaxUint32)
	return int32(v), err
}

func (a *assembler) off16() (int16, error) {
	v, _, err := a.num(math.MinInt16, math.MaxInt16)
	return int16(v), err
}

var sizeByName = map[string]uint8{"u8": SizeB, "u16": SizeH, "u32": SizeW, "u64": SizeDW,
	"s8": SizeB | 0x80, "s16": SizeH | 0x80, "s32": SizeW | 0x80}

// sizeCast parses "(u32 *)" and returns the size bits; 0x80 marks a signed size.
func (a *assembler) sizeCast() (uint8, int, error) {
	if err := a.expect("("); err != nil {
		return 0, 0, err
	}
	t := a.next()
	sz, ok := sizeByName[t.text]
	if t.kind != tIdent || !ok {
		return 0, t.col, a.errf(t.col, "expected a size u8, u16, u32, u64, s8, s16 or s32, found %s", describe(t))
	}
	if err := a.expect("*"); err != nil {
		return 0, 0, err
	}
	return sz, t.col, a.expect(")")
}

// memAddr parses "(rN +off)".
func (a *assembler) memAddr() (base uint8, off int16, err error) {
	if err = a.expect("("); err != nil {
		return
	}
	r, w, col, err := a.register()
	if err != nil {
		return
	}
	if w {
		return 0, 0, a.errf(col, "a base register is a 64-bit r register")
	}
	if !a.is(")") {
		if !a.is("+") && !a.is("-") {
			t := a.peek()
			return 0, 0, a.errf(t.col, "expected +offset or -offset, found %s", describe(t))
		}
		if off, err = a.off16(); err != nil {
			return
		}
	}
	return r, off, a.expect(")")
}

// memRef parses "*(u32 *)(r1 +4)".
func (a *assembler) memRef() (size uint8, sizeCol int, base uint8, off int16, err error) {
	if err = a.expect("*"); err != nil {
		return
	}
	if size, sizeCol, err = a.sizeCast(); err != nil {
		return
	}
	base, off, err = a.memAddr()
	return
}

// target parses a jump target, "pc+N", "pc-N" or a label, and returns the
// relative offset, or records a fixup.
func (a *assembler) target(wide, call bool) (int64, error) {
	t := a.next()
	if t.kind != tIdent {
		return 0, a.errf(t.col, "expected a jump target pc+N or a label, found %s", describe(t))
	}
	if t.text == "pc" && (a.is("+") || a.is("-")) {
		if wide {
			v, _, err := a.num(math.MinInt32, math.MaxInt32)
			return v, err
		}
		v, _, err := a.num(math.MinInt16, math.MaxInt16)
		return v, err
	}
	a.fixups = append(a.fixups, fixup{pc: len(a.out), label: t.text, line: a.line, col: t.col, wide: wide, call: call})
	return 0, nil
}

func (a *assembler) emit(i Insn) { a.out = append(a.out, i) }

func (a *assembler) parseLine(n int, s string) error {
	a.line = n
	a.pos = 0
	if err := a.lex(s); err != nil {
		return err
	}
	// index "12:" and labels "name:"
	for len(a.toks)-a.pos >= 2 && (a.toks[a.pos].kind == tNum || a.toks[a.pos].kind == tIdent) && a.toks[a.pos+1].text == ":" {
		t := a.toks[a.pos]
		if t.kind == tIdent {
			if _, dup := a.labels[t.text]; dup {
				return a.errf(t.col, "label %q defined twice", t.text)
			}
			a.labels[t.text] = len(a.out)
		} else if _, err := strconv.ParseUint(t.text, 0, 64); err != nil {
			return a.errf(t.col, "bad instruction index %q", t.text)
		}
		a.pos += 2
	}
	// kernel opcode "(b7)"
	if len(a.toks)-a.pos >= 3 && a.toks[a.pos].text == "(" && a.toks[a.pos+2].text == ")" &&
		(a.toks[a.pos+1].kind == tNum || a.toks[a.pos+1].kind == tIdent) {
		if _, err := strconv.ParseUint(a.toks[a.pos+1].text, 16, 8); err == nil {
			a.pos += 3
		}
	}
	if a.pos == len(a.toks) {
		return nil
	}
	if err := a.insn(); err != nil {
		return err
	}
	return a.end()
}

func (a *assembler) insn() error {
	t := a.peek()
	switch {
	case t.kind == tIdent && t.text == "exit":
		a.next()
		a.emit(Insn{Op: ClassJMP | JmpEXIT})
		return nil
	case t.kind == tIdent && (t.text == "goto" || t.text == "gotol" || t.text == "may_goto"):
		a.next()
		wide := t.text == "gotol"
		v, err := a.target(wide, false)
		if err != nil {
			return err
		}
		switch t.text {
		case "goto":
			a.emit(Insn{Op: ClassJMP | JmpJA, Off: int16(v)})
		case "gotol":
			a.emit(Insn{Op: ClassJMP32 | JmpJA, Imm: int32(v)})
		default:
			a.emit(Insn{Op: ClassJMP | JmpJCOND, Off: int16(v)})
		}
		return nil
	case t.kind == tIdent && t.text == "callx":
		a.next()
		r, _, _, err := a.register()
		if err != nil {
			return err
		}
		a.emit(Insn{Op: ClassJMP | SrcX | JmpCALL, Dst: r})
		return nil
	case t.kind == tIdent && t.text == "call":
		a.next()
		return a.call()
	case t.kind == tIdent && t.text == "if":
		a.next()
		return a.cond()
	case t.kind == tIdent && t.text == "lock":
		a.next()
		return a.lock()
	case t.kind == tIdent && t.text == ".insn":
		a.next()
		return a.raw()
	case t.text == "*" && t.kind == tPunct:
		return a.store()
	case a.isReg():
		return a.regInsn()
	}
	return a.errf(t.col, "unknown instruction starting with %s", describe(t))
}

func (a *assembler) raw() error {
	var f [5]int64
	lims := [5][2]int64{{0, 255}, {0, 15}, {0, 15}, {math.MinInt16, math.MaxUint16}, {math.MinInt32, math.MaxUint32}}
	for k := range f {
		if k > 0 {
			if err := a.expect(","); err != nil {
				return err
			}
		}
		v, _, err := a.num(lims[k][0], lims[k][1])
		if err != nil {
			return err
		}
		f[k] = v
	}
	a.emit(Insn{Op: uint8(f[0]), Dst: uint8(f[1]), Src: uint8(f[2]), Off: int16(f[3]), Imm: int32(f[4])})
	return nil
}

func (a *assembler) call() error {
	if a.accept("kfunc") {
		return a.callNamed(true)
	}
	t := a.peek()
	if t.kind == tNum || t.text == "#" {
		a.accept("#")
		id, err := a.imm32()
		if err != nil {
			return err
		}
		a.emit(Insn{Op: ClassJMP | JmpCALL, Src: CallHelper, Imm: id})
		return nil
	}
	if t.kind == tIdent && t.text == "pc" && len(a.toks) > a.pos+1 && (a.toks[a.pos+1].text == "+" || a.toks[a.pos+1].text == "-") {
		v, err := a.target(true, false)
		if err != nil {
			return err
		}
		a.emit(Insn{Op: ClassJMP | JmpCALL, Src: CallLocal, Imm: int32(v)})
		return nil
	}
	return a.callNamed(false)
}

// callNamed parses "name", "name#id", "#id" or "id" after "call" or "call kfunc".
func (a *assembler) callNamed(kfunc bool) error {
	src := uint8(CallHelper)
	if kfunc {
		src = CallKfunc
	}
	t := a.peek()
	if t.kind == tNum || t.text == "#" {
		a.accept("#")
		id, err := a.imm32()
		if err != nil {
			return err
		}
		a.emit(Insn{Op: ClassJMP | JmpCALL, Src: src, Imm: id})
		return nil
	}
	if t.kind != tIdent {
		return a.errf(t.col, "expected a helper, kfunc or label name, found %s", describe(t))
	}
	a.next()
	if a.accept("#") {
		id, err := a.imm32()
		if err != nil {
			return err
		}
		a.emit(Insn{Op: ClassJMP | JmpCALL, Src: src, Imm: id})
		return nil
	}
	if kfunc {
		if a.reg != nil {
			if id, ok := a.reg.KfuncByName(t.text); ok {
				a.emit(Insn{Op: ClassJMP | JmpCALL, Src: CallKfunc, Imm: id})
				return nil
			}
		}
		return a.errf(t.col, "unknown kfunc %q", t.text)
	}
	// a label (bpf-to-bpf call), else a helper or kfunc by name: resolved at the end
	a.fixups = append(a.fixups, fixup{pc: len(a.out), label: t.text, line: a.line, col: t.col, wide: true, call: true})
	a.emit(Insn{Op: ClassJMP | JmpCALL, Src: CallLocal})
	return nil
}

var jmpOpByName = map[string]uint8{"==": JmpJEQ, ">": JmpJGT, ">=": JmpJGE, "&": JmpJSET,
	"!=": JmpJNE, "s>": JmpJSGT, "s>=": JmpJSGE, "<": JmpJLT, "<=": JmpJLE, "s<": JmpJSLT, "s<=": JmpJSLE}

func (a *assembler) cond() error {
	dst, w, _, err := a.register()
	if err != nil {
		return err
	}
	t := a.next()
	op, ok := jmpOpByName[t.text]
	if !ok || t.kind == tNum {
		return a.errf(t.col, "expected a comparison (== != > >= < <= s> s>= s< s<= &), found %s", describe(t))
	}
	class := uint8(ClassJMP)
	if w {
		class = ClassJMP32
	}
	i := Insn{Op: class | op, Dst: dst}
	if a.isReg() {
		src, w2, col, _ := a.register()
		if w2 != w {
			return a.errf(col, "mixing r and w registers in one comparison")
		}
		i.Op |= SrcX
		i.Src = src
	} else if i.Imm, err = a.imm32(); err != nil {
		return err
	}
	if err := a.expect("goto"); err != nil {
		return err
	}
	v, err := a.target(false, false)
	if err != nil {
		return err
	}
	i.Off = int16(v)
	a.emit(i)
	return nil
}

var atomicByOp = map[string]int32{"+=": AtomicADD, "|=": AtomicOR, "&=": AtomicAND, "^=": AtomicXOR}

func atomicSize(sz uint8, col int, a *assembler) error {
	if sz != SizeW && sz != SizeDW {
		return a.errf(col, "atomic operations are 32 or 64 bit (u32, u64)")
	}
	return nil
}

func (a *assembler) lock() error {
	sz, col, base, off, err := a.memRef()
	if err != nil {
		return err
	}
	if err := atomicSize(sz, col, a); err != nil {
		return err
	}
	t := a.next()
	op, ok := atomicByOp[t.text]
	if !ok || t.kind != tOp {
		return a.errf(t.col, "expected one of += |= &= ^=, found %s", describe(t))
	}
	src, w, col, err := a.register()
	if err != nil {
		return err
	}
	if w {
		return a.errf(col, "the source of an atomic operation is an r register")
	}
	a.emit(Insn{Op: ClassSTX | ModeATOMIC | sz, Dst: base, Src: src, Off: off, Imm: op})
	return nil
}

func (a *assembler) store() error {
	sz, col, base, off, err := a.memRef()
	if err != nil {
		return err
	}
	if sz&0x80 != 0 {
		return a.errf(col, "stores take an unsigned size")
	}
	if err := a.expect("="); err != nil {
		return err
	}
	if a.isReg() {
		src, w, col, _ := a.register()
		if w {
			return a.errf(col, "the source of a store is an r register")
		}
		a.emit(Insn{Op: ClassSTX | ModeMEM | sz, Dst: base, Src: src, Off: off})
		return nil
	}
	imm, err := a.imm32()
	if err != nil {
		return err
	}
	a.emit(Insn{Op: ClassST | ModeMEM | sz, Dst: base, Off: off, Imm: imm})
	return nil
}

var aluOpByName = map[string]uint8{"+=": AluADD, "-=": AluSUB, "*=": AluMUL, "/=": AluDIV,
	"|=": AluOR, "&=": AluAND, "<<=": AluLSH, ">>=": AluRSH, "%=": AluMOD, "^=": AluXOR,
	"s>>=": AluARSH, "s/=": AluDIV, "s%=": AluMOD, "=": AluMOV}

func (a *assembler) regInsn() error {
	dst, w, dcol, _ := a.register()
	class := uint8(ClassALU64)
	if w {
		class = ClassALU
	}
	t := a.next()
	op, ok := aluOpByName[t.text]
	if t.kind != tOp || !ok {
		return a.errf(t.col, "expected an assignment operator (= += -= ...), found %s", describe(t))
	}
	var off int16
	if t.text == "s/=" || t.text == "s%=" {
		off = 1
	}
	if op != AluMOV {
		if a.isReg() {
			src, w2, col, _ := a.register()
			if w2 != w {
				return a.errf(col, "mixing r and w registers in one operation")
			}
			a.emit(Insn{Op: class | op | SrcX, Dst: dst, Src: src, Off: off})
			return nil
		}
		imm, err := a.imm32()
		if err != nil {
			return err
		}
		a.emit(Insn{Op: class | op | SrcK, Dst: dst, Off: off, Imm: imm})
		return nil
	}
	// dst = ...
	noW := func() error {
		if w {
			return a.errf(dcol, "the destination of this instruction is an r register")
		}
		return nil
	}
	n := a.peek()
	switch {
	case a.isReg():
		src, w2, col, _ := a.register()
		if w2 != w {
			return a.errf(col, "mixing r and w registers in one move")
		}
		a.emit(Insn{Op: class | AluMOV | SrcX, Dst: dst, Src: src})
		return nil
	case n.text == "-" && len(a.toks) > a.pos+1 && a.toks[a.pos+1].kind == tIdent:
		a.next()
		src, w2, col, err := a.register()
		if err != nil {
			return err
		}
		if src != dst || w2 != w {
			return a.errf(col, "negation is in place: %s = -%s", regName(w, dst), regName(w, dst))
		}
		a.emit(Insn{Op: class | AluNEG, Dst: dst})
		return nil
	case n.text == "(" && n.kind == tPunct:
		a.next()
		st := a.next()
		var bits int16
		switch st.text {
		case "s8":
			bits = 8
		case "s16":
			bits = 16
		case "s32":
			bits = 32
		default:
			return a.errf(st.col, "expected a sign-extension cast (s8), (s16) or (s32), found %s", describe(st))
		}
		if w && bits == 32 {
			return a.errf(st.col, "(s32) needs an r register")
		}
		if err := a.expect(")"); err != nil {
			return err
		}
		src, w2, col, err := a.register()
		if err != nil {
			return err
		}
		if w2 != w {
			return a.errf(col, "mixing r and w registers in one move")
		}
		a.emit(Insn{Op: class | AluMOV | SrcX, Dst: dst, Src: src, Off: bits})
		return nil
	case n.text == "*" && n.kind == tPunct:
		if err := noW(); err != nil {
			return err
		}
		return a.load(dst)
	case n.kind == tIdent:
		return a.special(dst, w, dcol, noW)
	}
	// immediate
	if n.kind == tNum || n.text == "-" || n.text == "+" {
		save := a.pos
		v, col, err := a.num(math.MinInt64, math.MaxInt64)
		if err != nil {
			return err
		}
		if a.accept("ll") {
			if err := noW(); err != nil {
				return err
			}
			a.emit(Insn{Op: ClassLD | ModeIMM | SizeDW, Dst: dst, Imm: int32(uint32(v))})
			a.emit(Insn{Imm: int32(uint32(uint64(v) >> 32))})
			return nil
		}
		a.pos = save
		if v < math.MinInt32 || v > math.MaxUint32 {
			return a.errf(col, "immediate %d does not fit in 32 bits (use \"ll\" for a 64-bit load)", v)
		}
		imm, err := a.imm32()
		if err != nil {
			return err
		}
		a.emit(Insn{Op: class | AluMOV | SrcK, Dst: dst, Imm: imm})
		return nil
	}
	return a.errf(n.col, "unexpected %s after =", describe(n))
}

// load parses "*(u32 *)(r1 +4)" or the legacy "*(u8 *)skb[...]".
func (a *assembler) load(dst uint8) error {
	if err := a.expect("*"); err != nil {
		return err
	}
	sz, col, err := a.sizeCast()
	if err != nil {
		return err
	}
	if a.accept("skb") {
		return a.skb(dst, sz, col)
	}
	base, off, err := a.memAddr()
	if err != nil {
		return err
	}
	if sz&0x80 != 0 {
		a.emit(Insn{Op: ClassLDX | ModeMEMSX | sz&0x18, Dst: dst, Src: base, Off: off})
	} else {
		a.emit(Insn{Op: ClassLDX | ModeMEM | sz, Dst: dst, Src: base, Off: off})
	}
	return nil
}

func (a *assembler) skb(dst, sz uint8, col int) error {
	if dst != 0 || sz&0x80 != 0 || sz == SizeDW {
		return a.errf(col, "legacy packet loads are r0 = *(u8|u16|u32 *)skb[...]")
	}
	if err := a.expect("["); err != nil {
		return err
	}
	mode, src := uint8(ModeABS), uint8(0)
	if a.isReg() {
		r, _, _, _ := a.register()
		mode, src = ModeIND, r
	}
	imm, err := a.imm32()
	if err != nil {
		return err
	}
	if err := a.expect("]"); err != nil {
		return err
	}
	a.emit(Insn{Op: ClassLD | mode | sz, Src: src, Imm: imm})
	return nil
}

// special parses the word forms after "rN =": byte swaps, map and function
// addresses, ksyms and the atomic fetch operations.
func (a *assembler) special(dst uint8, w bool, dcol int, noW func() error) error {
	t := a.next()
	word := t.text
	swap := func(class, src uint8, bits string) error {
		n, err := strconv.Atoi(bits)
		if err != nil || n != 16 && n != 32 && n != 64 {
			return a.errf(t.col, "byte swaps are 16, 32 or 64 bit")
		}
		r, _, col, err := a.register()
		if err != nil {
			return err
		}
		if r != dst {
			return a.errf(col, "byte swaps are in place: r%d = %s r%d", dst, word, dst)
		}
		a.emit(Insn{Op: class | AluEND | src, Dst: dst, Imm: int32(n)})
		return nil
	}
	switch {
	case strings.HasPrefix(word, "bswap"):
		if err := noW(); err != nil {
			return err
		}
		return swap(ClassALU64, SrcK, word[5:])
	case strings.HasPrefix(word, "be"):
		return swap(ClassALU, SrcX, word[2:])
	case strings.HasPrefix(word, "le"):
		return swap(ClassALU, SrcK, word[2:])
	}
	if err := noW(); err != nil {
		return err
	}
	switch word {
	case "map":
		return a.mapRef(dst)
	case "func":
		v, err := a.target(true, false)
		if err != nil {
			return err
		}
		a.emit(Insn{Op: ClassLD | ModeIMM | SizeDW, Dst: dst, Src: PseudoFunc, Imm: int32(v)})
		a.emit(Insn{})
		return nil
	case "ksym":
		v, _, err := a.num(math.MinInt64, math.MaxInt64)
		if err != nil {
			return err
		}
		if err := a.expect("ll"); err != nil {
			return err
		}
		a.emit(Insn{Op: ClassLD | ModeIMM | SizeDW, Dst: dst, Src: PseudoBTFID, Imm: int32(uint32(v))})
		a.emit(Insn{Imm: int32(uint32(uint64(v) >> 32))})
		return nil
	}
	if strings.HasPrefix(word, "atomic") {
		return a.atomicFetch(dst, t)
	}
	return a.errf(t.col, "unexpected %s after =", describe(t))
}

func (a *assembler) mapRef(dst uint8) error {
	if err := a.expect("["); err != nil {
		return err
	}
	k := a.next()
	if k.text != "id" && k.text != "fd" {
		return a.errf(k.col, "expected map[id:N] or map[fd:N], found %s", describe(k))
	}
	if err := a.expect(":"); err != nil {
		return err
	}
	n, err := a.imm32()
	if err != nil {
		return err
	}
	if err := a.expect("]"); err != nil {
		return err
	}
	src := uint8(PseudoMapIdx)
	if k.text == "fd" {
		src = PseudoMapFD
	}
	var voff int32
	if a.accept("[") {
		z := a.next()
		if z.text != "0" {
			return a.errf(z.col, "expected [0]")
		}
		if err := a.expect("]"); err != nil {
			return err
		}
		if err := a.expect("+"); err != nil {
			return err
		}
		if voff, err = a.imm32(); err != nil {
			return err
		}
		src++ // PseudoMapIdxValue, PseudoMapValue
	}
	a.emit(Insn{Op: ClassLD | ModeIMM | SizeDW, Dst: dst, Src: src, Imm: n})
	a.emit(Insn{Imm: voff})
	return nil
}

// atomicFetch parses "atomic64_fetch_add((u64 *)(r1 +0), r2)",
// "atomic_xchg(...)" and "atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)".
func (a *assembler) atomicFetch(dst uint8, t token) error {
	word := t.text
	name := strings.TrimPrefix(word, "atomic")
	want := uint8(SizeW)
	if strings.HasPrefix(name, "64") {
		want = SizeDW
		name = name[2:]
	}
	var imm int32
	switch name {
	case "_fetch_add":
		imm = AtomicADD | AtomicFETCH
	case "_fetch_or":
		imm = AtomicOR | AtomicFETCH
	case "_fetch_and":
		imm = AtomicAND | AtomicFETCH
	case "_fetch_xor":
		imm = AtomicXOR | AtomicFETCH
	case "_xchg":
		imm = AtomicXCHG
	case "_cmpxchg":
		imm = AtomicCMPXCHG
	default:
		return a.errf(t.col, "unknown atomic operation %q", word)
	}
	if err := a.expect("("); err != nil {
		return err
	}
	sz, col, err := a.sizeCast()
	if err != nil {
		return err
	}
	if sz != want {
		return a.errf(col, "%s operates on %s", word, sizeStr[want>>3])
	}
	base, off, err := a.memAddr()
	if err != nil {
		return err
	}
	if err := a.expect(","); err != nil {
		return err
	}
	if imm == AtomicCMPXCHG {
		r, _, col, err := a.register()
		if err != nil {
			return err
		}
		if r != 0 || dst != 0 {
			return a.errf(col, "cmpxchg compares with and returns in r0: r0 = %s(..., r0, rN)", word)
		}
		if err := a.expect(","); err != nil {
			return err
		}
	}
	src, w, col, err := a.register()
	if err != nil {
		return err
	}
	if w {
		return a.errf(col, "the source of an atomic operation is an r register")
	}
	if imm != AtomicCMPXCHG && src != dst {
		return a.errf(col, "%s returns the old value in its source register: r%d = %s(..., r%d)", word, src, word, src)
	}
	if err := a.expect(")"); err != nil {
		return err
	}
	a.emit(Insn{Op: ClassSTX | ModeATOMIC | sz, Dst: base, Src: src, Off: off, Imm: imm})
	return nil
}
