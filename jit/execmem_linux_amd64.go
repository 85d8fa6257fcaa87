//go:build linux && amd64

package jit

import (
	"runtime"
	"syscall"
	"unsafe"
)

// execMem is machine code mapped outside the Go heap: written while the
// pages are read+write, then made read+execute (never both writable and
// executable). It is unmapped when unreachable.
type execMem struct {
	b []byte
}

func newExecMem(code []byte) (*execMem, error) {
	const page = 4096
	size := (len(code) + page - 1) &^ (page - 1)
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, err
	}
	copy(b, code)
	if err := syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		_ = syscall.Munmap(b)
		return nil, err
	}
	x := &execMem{b: b}
	runtime.AddCleanup(x, func(b []byte) { _ = syscall.Munmap(b) }, b)
	return x, nil
}

func (x *execMem) addr() uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(x.b))) }

// Supported reports whether this platform runs the JIT.
const Supported = true
