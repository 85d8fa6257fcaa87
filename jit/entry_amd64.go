//go:build linux && amd64

package jit

// enter runs generated code from its prologue with r12 = st; see
// entry_amd64.s and doc.go.
//
//go:noescape
func enter(code uintptr, st *state)
