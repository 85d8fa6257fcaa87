package verifier

import (
	"errors"
	"os"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// FuzzVerify feeds random instruction streams (seeded with the corpus) to
// the verifier: it must never panic, never report an internal error, and
// always answer with a *Error on rejection.
func FuzzVerify(f *testing.F) {
	e := newTestEnv(f)
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
		f.Add(raw, uint8(len(c.args)))
	}
	f.Fuzz(func(t *testing.T, raw []byte, nargs uint8) {
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
