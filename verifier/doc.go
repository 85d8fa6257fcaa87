// Package verifier is schedsim's static verifier for BPF programs, run on
// every program before it first executes. Like the kernel's
// (kernel/bpf/verifier.c) it explores every path with an abstract state
// per register and stack slot: uninitialised, scalars with known bits
// (tnum) and signed/unsigned 32/64-bit bounds, and typed pointers (context,
// stack, map values, maps, BTF-typed kernel objects, allocated objects,
// memory, functions). It checks control flow, memory accesses, helper and
// kfunc arguments, references, locks and loops, and prunes equivalent
// states.
//
// Unlike the kernel, a path may hold several spin locks at once (released
// in LIFO order) and call the kfuncs marked safe under a lock; across the
// programs of one policy, CheckLockOrder finds lock-order cycles (ABBA)
// before anything runs. See docs/verifier.md.
//
// Entry points: Verify checks one program; StructOpsArgs describes the
// arguments of a struct_ops callback from the kernel BTF; CheckLockOrder
// checks the lock-order edges of all results of a policy.
package verifier
