package bpfvm_test

import (
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
)

func Example() {
	mem, err := bpfvm.NewMemory(1 << 20)
	if err != nil {
		panic(err)
	}
	defer mem.Close()
	reg := bpfvm.NewRegistry()
	bpfvm.RegisterBase(reg)
	vm := &bpfvm.VM{Mem: mem, Registry: reg, NumCPUs: 1}
	c, err := vm.NewContext(0)
	if err != nil {
		panic(err)
	}

	// the sum of 0..r1-1, with bpf_for
	insns, err := bpfvm.AssembleWith(`
	r6 = 0
	r2 = 0
	r3 = r1
	r1 = r10
	r1 += -8
	call bpf_iter_num_new
loop:	r1 = r10
	r1 += -8
	call bpf_iter_num_next
	if r0 == 0 goto done
	r1 = *(s32 *)(r0 +0)
	r6 += r1
	goto loop
done:	r1 = r10
	r1 += -8
	call bpf_iter_num_destroy
	r0 = r6
	exit`, reg)
	if err != nil {
		panic(err)
	}
	p := &bpfvm.Program{Name: "sum", Insns: insns}
	r0, err := c.Call(p, 10)
	fmt.Println(r0, err)
	fmt.Println(bpfvm.Disasm(insns, 5, reg))
	// Output:
	// 45 <nil>
	// call kfunc bpf_iter_num_new#0
}

func ExampleContext_Run() {
	mem, _ := bpfvm.NewMemory(1 << 16)
	defer mem.Close()
	vm := &bpfvm.VM{Mem: mem, Registry: bpfvm.NewRegistry()}
	c, _ := vm.NewContext(0)
	insns, _ := bpfvm.Assemble(`
	r0 = 0
l:	r0 += 1
	if r0 < 10 goto l
	exit`)
	c.Start(&bpfvm.Program{Name: "count", Insns: insns})
	for {
		st, err := c.Run(8) // at most 8 instructions at a time
		fmt.Println(st, c.Insns, err)
		if st != bpfvm.StatusPreempted {
			break
		}
	}
	fmt.Println(c.Regs[0])
	// Output:
	// preempted 8 <nil>
	// preempted 16 <nil>
	// exited 22 <nil>
	// 10
}
