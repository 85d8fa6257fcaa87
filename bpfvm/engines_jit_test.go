package bpfvm_test

import (
	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/jit"
)

// The JIT runs every interpreter test too (engines_test.go).
func init() { bpfvm.RegisterTestEngine("jit", jit.New) }
