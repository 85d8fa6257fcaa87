// Package bpfvm is schedsim's generic eBPF runtime: the program model shared by
// the loader, verifier, interpreter and JIT; ELF loading through
// github.com/cilium/ebpf (parsing only, there is no kernel); one linear memory
// per VM; maps; the helper and kfunc registry; execution contexts.
//
// bpfvm knows nothing about scheduling. Scheduling enters through package
// policies, which registers kfuncs and the simulated kernel's BTF.
//
// Instruction semantics follow RFC 9669 (BPF Instruction Set Architecture),
// up to and including the v4 additions (signed division and modulo,
// sign-extending moves and loads, unconditional byte swaps, 32-bit gotol).
package bpfvm
