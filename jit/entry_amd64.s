//go:build linux && amd64

#include "textflag.h"

// func enter(code uintptr, st *state)
//
// The trampoline into generated code: r12 = st, save rbp (Go's frame
// pointer, BPF r10 in the code), call the code's entry (prologue at
// offset 0), restore rbp. The generated code returns here with every
// other register clobbered, which ABI0 allows; the ABI wrapper around
// this function restores g (r14) for Go.
TEXT ·enter(SB), NOSPLIT|NOFRAME, $0-16
	MOVQ code+0(FP), AX
	MOVQ st+8(FP), R12
	PUSHQ BP
	CALL AX
	POPQ BP
	RET
