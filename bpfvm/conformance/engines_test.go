package conformance_test

import (
	"os"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/bpfvm/conformance"
	"github.com/schedsim/schedsim/jit"
)

type engine struct {
	name string
	new  func() bpfvm.Engine
}

// engines are the engines the suite runs on: the interpreter and, where
// it runs, the JIT.
func engines() []engine {
	e := []engine{{"interp", func() bpfvm.Engine { return bpfvm.NewInterpreter() }}}
	if jit.Supported {
		e = append(e, engine{"jit", func() bpfvm.Engine { return jit.New() }})
	}
	return e
}

// runDir runs every .data file of dir on every engine, and preempted
// after every instruction with the engines taking turns; a test that
// does not pass fails, except the not-applicable ones, which are logged.
func runDir(t *testing.T, dir string) {
	files, err := conformance.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	all := engines()
	targets := append(all, engine{"alternating-quantum-1", nil})
	for _, e := range targets {
		t.Run(e.name, func(t *testing.T) {
			exec := func(code, mem []byte) (uint64, error) {
				if e.new == nil {
					var engs []bpfvm.Engine
					for _, a := range all {
						engs = append(engs, a.new())
					}
					r0, turns, err := conformance.ExecQuanta(code, mem, engs, 1)
					if err == nil && turns < 2 {
						t.Errorf("one quantum of 1 instruction ran a whole program")
					}
					return r0, err
				}
				if e.name == "jit" {
					jitCompiles(t, code)
				}
				return conformance.Exec(code, mem, e.new())
			}
			var results []conformance.Result
			for _, f := range files {
				r := conformance.RunFile(f, exec)
				results = append(results, r)
				switch r.Status {
				case conformance.Pass:
				case conformance.NotApplicable:
					t.Logf("%s: not applicable: %s", r.Test, r.Message)
				default:
					t.Errorf("%s %s: %s", r.Status, r.Test, r.Message)
				}
			}
			t.Logf("%s: %v", e.name, conformance.Count(results))
		})
	}
}

// jitCompiles checks that the JIT compiles code to native code, so that
// its results are not the interpreter's (which runs what the JIT cannot
// compile).
func jitCompiles(t *testing.T, code []byte) {
	insns, err := bpfvm.DecodeInsns(code)
	if err != nil {
		return // the run reports it
	}
	x, err := bpfvm.NewExec(code, 0)
	if err != nil {
		return
	}
	defer x.Close()
	if _, err := jit.Compile(x.C.VM, &bpfvm.Program{Name: "exec", Insns: insns}); err != nil {
		t.Errorf("the JIT does not compile the program: %v", err)
	}
}

// TestOwnCases runs our own tests in the suite's format (testdata/).
func TestOwnCases(t *testing.T) { runDir(t, "testdata") }

// TestSuite runs the BPF ISA conformance suite on both engines when
// SCHEDSIM_BPF_CONFORMANCE names a checkout of
// github.com/Alan-Jowett/bpf_conformance (docs/isa-conformance.md):
//
//	SCHEDSIM_BPF_CONFORMANCE=~/bpf_conformance go test -run TestSuite -v ./bpfvm/conformance/
func TestSuite(t *testing.T) {
	dir := os.Getenv("SCHEDSIM_BPF_CONFORMANCE")
	if dir == "" {
		t.Skip("set SCHEDSIM_BPF_CONFORMANCE to a bpf_conformance checkout to run the suite")
	}
	runDir(t, dir)
}
