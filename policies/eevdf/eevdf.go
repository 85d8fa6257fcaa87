// Package eevdf holds schedsim's EEVDF policy: Earliest Eligible Virtual
// Deadline First as Linux's fair class implements it (kernel/sched/fair.c),
// written as a sched_ext BPF program with per-CPU runqueues in BPF
// red-black trees under BPF spin locks (eevdf.bpf.c, docs/eevdf.md). The
// compiled object is committed and embedded, so building and running need
// no clang; `go generate` rebuilds it with clang-19.
//
// The map "tasks" (a hash keyed by pid) exports each task's EEVDF state;
// its value begins with
//
//	struct { u64 vruntime; u64 deadline; s64 lag; u32 weight; s32 cpu; }
//
// (see TaskState). The package's tests hold the Go reference model the
// BPF program is compared against.
package eevdf

import (
	_ "embed"
	"encoding/binary"
)

//go:generate sh -c "clang-19 -O2 -g -target bpf -mcpu=v4 -fdebug-compilation-dir=. -I../include -c eevdf.bpf.c -o eevdf.bpf.o && llvm-strip-19 -g eevdf.bpf.o"

// Source is eevdf.bpf.c, the policy's C source (schedsim init --from
// eevdf starts a project from it).
//
//go:embed eevdf.bpf.c
var Source []byte

// Object is the compiled eevdf.bpf.c.
//
//go:embed eevdf.bpf.o
var Object []byte

// TaskState is the exported head of a value of the "tasks" map.
type TaskState struct {
	Vruntime uint64 // virtual runtime, ns of virtual time
	Deadline uint64 // virtual deadline
	Lag      int64  // V - vruntime, virtual ns (see docs/eevdf.md)
	Weight   uint32 // load weight (1024 for nice 0)
	CPU      int32  // runqueue
}

// DecodeTaskState decodes the head of a "tasks" map value (little-endian,
// as the simulated machine is).
func DecodeTaskState(v []byte) (TaskState, bool) {
	if len(v) < 32 {
		return TaskState{}, false
	}
	le := binary.LittleEndian
	return TaskState{Vruntime: le.Uint64(v), Deadline: le.Uint64(v[8:]), Lag: int64(le.Uint64(v[16:])),
		Weight: le.Uint32(v[24:]), CPU: int32(le.Uint32(v[28:]))}, true
}
