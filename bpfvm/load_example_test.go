package bpfvm_test

import (
	"encoding/binary"
	"fmt"
	"log"

	"github.com/schedsim/schedsim/bpfvm"
)

// Load an object, set a const volatile parameter, run a program and read a
// global it wrote.
func ExampleVM_Load() {
	obj, err := bpfvm.LoadObject("testdata/globals.bpf.o")
	if err != nil {
		log.Fatal(err)
	}
	vm, err := bpfvm.NewVM(bpfvm.VMConfig{MemSize: 16 << 20, NumCPUs: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer vm.Close()
	in, err := vm.Load(obj, bpfvm.LoadOptions{Params: map[string]any{"nr_cpus": 2}})
	if err != nil {
		log.Fatal(err)
	}
	c, err := vm.NewContext(0)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	r0, err := c.Call(in.Program("read_globals"), 0)
	if err != nil {
		log.Fatal(err)
	}
	v, addr, err := in.Var("total")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("r0:", r0)
	fmt.Println("total:", binary.LittleEndian.Uint64(vm.Mem.MustBytes(addr, uint64(v.Size))))
	// Output:
	// r0: 87
	// total: 87
}
