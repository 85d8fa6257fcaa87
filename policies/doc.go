// Package policies runs sched_ext policies written in C on schedsim's BPF
// stack: it is where scheduling knowledge meets the generic bpfvm.
//
//   - The simulated kernel's BTF (KernelBTF, btf.go): task_struct,
//     sched_ext_entity and cpumask derived by reflection from their Go
//     definitions in package sim (so the simulator and a BPF program share
//     the very bytes of a task), sched_ext_ops with the kernel's members and
//     prototypes, the sched_ext and BPF uapi enums with the kernel's values,
//     the BPF object types, and the kfunc prototypes. Loading resolves a
//     policy's CO-RE relocations, struct_ops map and kfunc calls against it.
//   - The C header of that BTF (VmlinuxHeader, vmlinux.go), committed as
//     include/vmlinux.h and written by `schedsim vmlinux`; with
//     include/scx/common.bpf.h it is what a policy includes (docs/policies.md).
//   - The bridge (bridge*.go, kfuncs*.go): loading a policy object into a VM,
//     binding its struct_ops programs to sim.Scheduler callbacks, and the
//     kfuncs and helpers, implemented on sim.Kernel.
//   - The built-in policies (a directory each, e.g. fifo/): C sources with
//     their compiled objects embedded.
package policies

// The header first: the test objects are built against it.
//go:generate go run ../cmd/schedsim vmlinux -o include/vmlinux.h
//go:generate make -s -C testdata
