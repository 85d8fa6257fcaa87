package policies

import (
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/jit"
)

// EngineNames lists the engines a BPF policy runs on: "jit" (native amd64
// code, package jit) and "interp" (bpfvm's interpreter, the reference).
func EngineNames() []string { return []string{"jit", "interp"} }

// DefaultEngine is "jit" where the JIT runs (linux/amd64) and "interp"
// elsewhere.
func DefaultEngine() string {
	if jit.Supported {
		return "jit"
	}
	return "interp"
}

// NewEngine returns the engine called name ("" for DefaultEngine). On a
// platform without the JIT, "jit" and "" give the interpreter and a note
// saying so.
func NewEngine(name string) (e bpfvm.Engine, note string, err error) {
	switch name {
	case "", "jit":
		if !jit.Supported {
			return bpfvm.NewInterpreter(), "note: the JIT runs on linux/amd64 only; using the interpreter", nil
		}
		return jit.New(), "", nil
	case "interp":
		return bpfvm.NewInterpreter(), "", nil
	}
	return nil, "", fmt.Errorf("unknown engine %q; valid engines: jit, interp", name)
}
