package bpfvm

import "testing"

// NewContexts: each CPU's stack area whole and apart from the others and
// from its extra bytes, frame tops 64-byte aligned, consecutive CPUs'
// tops in different L1d sets (64 sets of 64-byte lines), programs
// running on them, and Close freeing nothing.
func TestNewContexts(t *testing.T) {
	vm := newTestVM(t)
	vm.NumCPUs = 100
	const extra = 512
	ctxs, areas, err := vm.NewContexts(vm.NumCPUs, extra)
	if err != nil {
		t.Fatal(err)
	}
	stride := ContextStride(extra)
	if stride%64 != 0 || stride/64%2 != 1 || stride < MaxCallFrames*StackSize+extra {
		t.Fatalf("stride %d", stride)
	}
	sets := map[uint64]int{}
	for cpu, c := range ctxs {
		lo, hi := c.Stack()
		if c.CPU != cpu || hi-lo != MaxCallFrames*StackSize || areas[cpu] != hi || hi%64 != 0 || !vm.Mem.Contains(lo, hi-lo+extra) {
			t.Fatalf("CPU %d: stack [%#x, %#x), area %#x", cpu, lo, hi, areas[cpu])
		}
		if cpu > 0 {
			if plo, _ := ctxs[cpu-1].Stack(); lo-plo != stride {
				t.Fatalf("CPU %d: stack %d bytes after CPU %d's", cpu, lo-plo, cpu-1)
			}
		}
		if c.FrameTop(0) != hi || c.FrameTop(MaxCallFrames) != lo {
			t.Fatalf("CPU %d: frame tops %#x..%#x, stack [%#x, %#x)", cpu, c.FrameTop(0), c.FrameTop(MaxCallFrames), lo, hi)
		}
		if cpu < 64 {
			set := (hi - 64 - vm.Mem.Base()) / 64 % 64
			if o, ok := sets[set]; ok {
				t.Fatalf("CPUs %d and %d: entry frame tops in the same L1d set", o, cpu)
			}
			sets[set] = cpu
		}
	}
	// r1 = r10 - 8; *(u64 *)(r10 - 8) = 7; r0 = *(u64 *)(r1 + 0); exit
	p := &Program{Name: "stack", Insns: []Insn{
		{Op: ClassALU64 | SrcX | AluMOV, Dst: 1, Src: 10},
		{Op: ClassALU64 | SrcK | AluADD, Dst: 1, Imm: -8},
		{Op: ClassST | ModeMEM | SizeDW, Dst: 10, Off: -8, Imm: 7},
		{Op: ClassLDX | ModeMEM | SizeDW, Dst: 0, Src: 1},
		{Op: ClassJMP | JmpEXIT},
	}}
	for _, cpu := range []int{0, 1, 99} {
		if r0, err := ctxs[cpu].Call(p); err != nil || r0 != 7 {
			t.Fatalf("CPU %d: %d, %v", cpu, r0, err)
		}
	}
	inUse := vm.Mem.InUse()
	for _, c := range ctxs {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if vm.Mem.InUse() != inUse {
		t.Fatalf("Close freed %d bytes", inUse-vm.Mem.InUse())
	}
	if _, _, err := vm.NewContexts(101, 0); err == nil {
		t.Fatal("101 contexts on a VM of 100 CPUs")
	}
}
