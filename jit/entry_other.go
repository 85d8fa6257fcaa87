//go:build !(linux && amd64)

package jit

func enter(code uintptr, st *state) { panic("jit: no native code on this platform") }
