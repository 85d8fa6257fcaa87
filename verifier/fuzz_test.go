package verifier

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/schedsim/schedsim/bpfvm"
)

// FuzzVerify feeds random instruction streams (seeded with the corpus) to
// the verifier: it must never panic, never report an internal error, and
// always answer with a *Error on rejection.
func FuzzVerify(f *testing.F) {
	e := newTestEnv(f)
	for _, cr := range corpusRaw(f, e) {
		c, raw := cr.c, cr.raw
		f.Add(raw, uint8(len(c.args)), uint8(0))
		f.Add(raw, uint8(len(c.args)), uint8(0xff))
	}
	f.Fuzz(func(t *testing.T, raw []byte, nargs, globals uint8) {
		insns, err := bpfvm.DecodeInsns(raw[:len(raw)/8*8])
		if err != nil || len(insns) > 4096 {
			return
		}
		env := e.env()
		env.InsnLimit = 20000
		kinds := []ArgDesc{{Name: "p", Type: ptr(e.task)}, {Name: "x", Type: tU64}, {Name: "q", Type: ptr(e.task), Nullable: true}}
		for i := 0; i < int(nargs%6); i++ {
			env.Args = append(env.Args, kinds[(int(nargs)/6+i)%len(kinds)])
		}
		p := &bpfvm.Program{Name: "fuzz", Insns: insns, BTF: e.progBTF}
		p.Funcs = fuzzGlobals(insns, globals)
		res, err := Verify(p, env)
		if err != nil {
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if len(ve.Msg) >= 24 && ve.Msg[:24] == "verifier internal error:" {
				t.Fatalf("%s\n%s", ve.Msg, bpfvm.Listing(insns, e.reg))
			}
			return
		}
		if res == nil {
			t.Fatal("nil result without error")
		}
	})
}

// fuzzGlobals declares some targets of local calls global functions, with
// prototypes chosen by bits: each subprogram i is global when bit i%8 of
// bits is set; its parameters alternate u64 and u64 * (count i%6).
func fuzzGlobals(insns []bpfvm.Insn, bits uint8) []bpfvm.Subprog {
	if bits == 0 {
		return nil
	}
	funcs := []bpfvm.Subprog{{Name: "fuzz", Start: 0}}
	seen := map[int]bool{0: true}
	for pc, in := range insns {
		if in.Op != bpfvm.ClassJMP|bpfvm.JmpCALL || in.Src != bpfvm.CallLocal {
			continue
		}
		t := pc + 1 + int(in.Imm)
		if t <= 0 || t >= len(insns) || seen[t] {
			continue
		}
		seen[t] = true
		i := len(funcs)
		proto := &btf.FuncProto{Return: tU64}
		for a := 0; a < i%6; a++ {
			var pt btf.Type = tU64
			if a%2 == 1 {
				pt = ptr(tU64)
			}
			proto.Params = append(proto.Params, btf.FuncParam{Name: fmt.Sprintf("a%d", a), Type: pt})
		}
		funcs = append(funcs, bpfvm.Subprog{Name: fmt.Sprintf("f%d", t), Start: t, Proto: proto, Global: bits&(1<<uint(i%8)) != 0})
	}
	slices.SortFunc(funcs, func(a, b bpfvm.Subprog) int { return a.Start - b.Start })
	return funcs
}

// seedCase is a corpus file's case and its encoded instructions.
type seedCase struct {
	c   corpusCase
	raw []byte
}

// corpusRaw reads, parses and assembles every corpus file: the fuzzers'
// seeds.
func corpusRaw(f *testing.F, e *testEnv) []seedCase {
	var out []seedCase
	for _, file := range corpusFiles(f) {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		c := parseCase(f, e, file, string(src))
		insns, err := bpfvm.AssembleWith(c.src, e.reg)
		if err != nil {
			f.Fatal(err)
		}
		var raw []byte
		for _, in := range insns {
			raw = in.Encode(raw)
		}
		out = append(out, seedCase{c, raw})
	}
	return out
}
