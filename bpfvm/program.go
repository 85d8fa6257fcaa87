package bpfvm

import (
	"fmt"
	"sort"

	"github.com/cilium/ebpf/btf"
)

// Program is the one representation of a BPF program shared by the loader,
// the verifier, the interpreter and the JIT: the linked instructions of an
// entry point and every subprogram it calls, and the metadata needed to check
// it and to explain it. Nobody re-parses the ELF object.
//
// After loading, pseudo forms are resolved to VM-local indices:
//   - LD_IMM64 with Src PseudoMapIdx / PseudoMapIdxValue: Imm is an index
//     into VM.Maps (value offset in the second slot's Imm);
//   - LD_IMM64 with Src PseudoBTFID: a ksym; Imm/next Imm hold its resolved
//     64-bit value (0 for an absent weak ksym);
//   - CALL with Src CallKfunc: Imm is an id in the VM's Registry;
//   - CALL with Src CallLocal and LD_IMM64 with Src PseudoFunc: pc-relative.
type Program struct {
	Name    string // entry symbol, e.g. "fifo_enqueue"
	Section string // ELF section, e.g. "struct_ops/fifo_enqueue"
	Object  string // file the program came from, for messages
	Insns   []Insn

	// Funcs lists the entry point and every linked subprogram, sorted by Start.
	Funcs []Subprog
	// Lines maps instruction indices to C source lines, sorted by Insn.
	Lines []LineInfo
	// BTF is the object's BTF (types of maps, globals, function prototypes);
	// nil for raw programs.
	BTF *btf.Spec
	// StructOpsMember is the sched_ext_ops member this program implements,
	// e.g. "enqueue"; empty for other programs.
	StructOpsMember string
	// Sleepable mirrors BPF_F_SLEEPABLE (the ".s" section suffix).
	Sleepable bool
	// ArenaCasts are the instructions that were addr_space_cast (MOV64 X
	// with Off 1, Imm naming the address spaces, as in the object); the
	// loader made them plain moves, arena pointers being the same in both
	// address spaces here (see map_arena.go).
	ArenaCasts []ArenaCast
	// Ksyms are the LD_IMM64 (Src PseudoBTFID) of typed kernel variables
	// that resolved (extern const struct rq runqueues __ksym): the
	// verifier types them as the kernel's check_pseudo_btf_id does.
	Ksyms []KsymLoad
	// RawMapFDs are the LD_IMM64 (Src PseudoMapFD) of a map by a file
	// descriptor written in the code, without a relocation: nothing to
	// resolve them to, they stay as they are and the verifier rejects the
	// program ("fd N is not pointing to valid bpf_map", as the kernel
	// does for an fd that is no map).
	RawMapFDs []int
}

// KsymLoad is the LD_IMM64 at PC of the typed kernel variable Name, of
// type Type (the program's declaration).
type KsymLoad struct {
	PC   int
	Name string
	Type btf.Type
}

// ArenaCast is an addr_space_cast the loader rewrote: at instruction PC,
// from address space Imm&0xffff to Imm>>16.
type ArenaCast struct {
	PC  int
	Imm int32
}

// Subprog is a function (entry point or subprogram) inside a Program.
type Subprog struct {
	Name  string
	Start int            // first instruction index
	Proto *btf.FuncProto // may be nil for raw programs
	// Global: a non-static function (BTF linkage global). The verifier
	// checks it once, on its own, against its prototype, and its callers
	// against the prototype only (the kernel's global subprograms).
	Global bool
	// ParamTags are the BTF decl tags of each parameter (e.g. "arg:ctx",
	// "arg:nonnull", from __arg_ctx and __arg_nonnull); nil when none.
	ParamTags [][]string
}

// LineInfo ties an instruction to a line of C source.
type LineInfo struct {
	Insn   int
	File   string
	Line   int
	Col    int
	Source string // the text of the line, when known
}

// LineFor returns the source line covering instruction pc, if any.
func (p *Program) LineFor(pc int) (LineInfo, bool) {
	i := sort.Search(len(p.Lines), func(i int) bool { return p.Lines[i].Insn > pc })
	if i == 0 {
		return LineInfo{}, false
	}
	return p.Lines[i-1], true
}

// FuncFor returns the function containing instruction pc.
func (p *Program) FuncFor(pc int) (Subprog, bool) {
	i := sort.Search(len(p.Funcs), func(i int) bool { return p.Funcs[i].Start > pc })
	if i == 0 {
		return Subprog{}, false
	}
	return p.Funcs[i-1], true
}

// Where describes instruction pc for messages: "prog+pc (file.c:12)".
func (p *Program) Where(pc int) string {
	s := fmt.Sprintf("%s+%d", p.Name, pc)
	if l, ok := p.LineFor(pc); ok && l.File != "" {
		s += fmt.Sprintf(" (%s:%d)", l.File, l.Line)
	}
	return s
}
