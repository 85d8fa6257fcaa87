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
	own, sh, e := sharedSetUp(t, vm, ncpu)
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

// TestSharedContextLocks: on a shared context, a lock taken natively goes
// on the native held stack of the CPU the context acts for in that call
// (Call1 rewrites the state's lockCPU with the CPU): the program takes a
// lock through the helper, releases it, and takes it again natively,
// leaving it held.
func TestSharedContextLocks(t *testing.T) {
	const ncpu = 4
	vm, reg := nativeVM(t, 1<<20, ncpu)
	vm.Native = bpfvm.NewNativeState(ncpu)
	vm.Native.On = 1
	ml := &miniLocks{vm: vm, ns: vm.Native, words: map[uint64]*bpfvm.LockWord{}, held: make([][]bpfvm.HeldLock, ncpu)}
	reg.AddHelper(&bpfvm.Helper{ID: 93, Name: "bpf_spin_lock", Fn: ml.lock, Native: bpfvm.NativeSpinLock})
	reg.AddHelper(&bpfvm.Helper{ID: 94, Name: "bpf_spin_unlock", Fn: ml.unlock, Native: bpfvm.NativeSpinUnlock})
	insns, err := bpfvm.AssembleWith("r6 = *(u64 *)(r1 + 0)\nr1 = r6\ncall 93\nr1 = r6\ncall 94\nr1 = r6\ncall 93\nr0 = 0\nexit", reg)
	if err != nil {
		t.Fatal(err)
	}
	p := &bpfvm.Program{Name: "p", Insns: insns}
	vm.Programs = append(vm.Programs, p)
	arg, _ := vm.Mem.Alloc(8, 8)
	locks, _ := vm.Mem.Alloc(4*64, 8)
	own, sh, e := sharedSetUp(t, vm, ncpu)
	var site Site
	for k := range 3 * ncpu {
		cpu := k * 3 % ncpu
		vm.Mem.Store64(arg, locks+4*uint64(k))
		lo, _ := own[cpu].Stack()
		sh.ActFor(cpu, lo)
		if _, err := e.Call1(sh, p, arg, &site); err != nil {
			t.Fatalf("call %d on cpu %d: %v", k, cpu, err)
		}
		for x := range ncpu {
			want := uint64(0)
			if x == cpu {
				want = 1
			}
			if n := vm.Native.CPUs[x].N; n != want {
				t.Errorf("call %d on cpu %d: cpu %d holds %d locks natively, want %d", k, cpu, x, n, want)
			}
		}
		ml.sync(cpu)
	}
	if ml.calls != 3*ncpu*2 {
		t.Errorf("%d helper calls, want %d (the second lock native)", ml.calls, 3*ncpu*2)
	}
}

// sharedSetUp makes a context for each of vm's first n CPUs and a shared
// context with a JIT engine of its own.
func sharedSetUp(t *testing.T, vm *bpfvm.VM, n int) ([]*bpfvm.Context, *bpfvm.Context, *Engine) {
	own := make([]*bpfvm.Context, n)
	for cpu := range own {
		var err error
		if own[cpu], err = vm.NewContext(cpu); err != nil {
			t.Fatal(err)
		}
	}
	sh := vm.NewSharedContext()
	e := New().(*Engine)
	sh.Engine = e
	return own, sh, e
}
