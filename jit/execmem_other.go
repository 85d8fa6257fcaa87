//go:build !(linux && amd64)

package jit

import "errors"

type execMem struct{}

func newExecMem([]byte) (*execMem, error) {
	return nil, errors.New("the JIT runs on linux/amd64 only")
}

func (x *execMem) addr() uintptr { return 0 }

// Supported reports whether this platform runs the JIT.
const Supported = false
