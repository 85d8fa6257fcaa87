package jit

import (
	"fmt"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestSharedContext: a shared context (bpfvm.NewSharedContext) acting for
// each CPU in turn (ActFor, the CPU's own stack) gives, with Engine.Call1,
// what each CPU's own context gives on the interpreter: the CPU (the
// native bpf_get_smp_processor_id reads the engine's state, which Call1
// rewrites per CPU) and the frame pointer, call after call.
func TestSharedContext(t *testing.T) {
	const ncpu = 4
	vm, reg := nativeVM(t, 1<<20, ncpu)
	reg.AddHelper(&bpfvm.Helper{ID: 8, Name: "bpf_get_smp_processor_id", Native: bpfvm.NativeCPU,
		Fn: func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) { return uint64(c.CPU), nil }})
	insns, err := bpfvm.AssembleWith("r6 = *(u64 *)(r1 + 0)\ncall 8\nr0 += r10\nr0 += r6\n*(u64 *)(r10 - 8) = r0\nr0 = *(u64 *)(r10 - 8)\nexit", reg)
	if err != nil {
		t.Fatal(err)
	}
	p := &bpfvm.Program{Name: "p", Insns: insns}
	arg, err := vm.Mem.Alloc(8, 8)
	if err != nil {
		t.Fatal(err)
	}
	var own [ncpu]*bpfvm.Context
	for cpu := range own {
		if own[cpu], err = vm.NewContext(cpu); err != nil {
			t.Fatal(err)
		}
	}
	sh := vm.NewSharedContext()
	e := New().(*Engine)
	sh.Engine = e
	var site Site
	for k := range 3 * ncpu {
		cpu := k * 3 % ncpu
		vm.Mem.Store64(arg, uint64(k)<<16)
		want, err := own[cpu].Call1(p, arg)
		wantS := fmt.Sprintf("%#x %v", want, err)
		lo, _ := own[cpu].Stack()
		sh.ActFor(cpu, lo)
		i0 := sh.Insns
		got, err := e.Call1(sh, p, arg, &site)
		if gotS := fmt.Sprintf("%#x %v", got, err); gotS != wantS || sh.Insns-i0 != uint64(len(insns)) {
			t.Errorf("call %d on cpu %d: shared %s (%d instructions), own %s", k, cpu, gotS, sh.Insns-i0, wantS)
		}
	}
	if err := sh.Close(); err != nil {
		t.Error(err)
	}
	for _, c := range own { // their stacks were lent, not given: still theirs to free
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}
}
