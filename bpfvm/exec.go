package bpfvm

import "fmt"

// ExecRaw runs raw little-endian instructions (8 bytes each) on a fresh VM
// with the base helpers: mem is copied into linear memory, r1 is its
// address and r2 its length; after the run the memory is copied back into
// mem. It is the contract of the BPF conformance suite's plugins (and of
// "schedsim exec"). A runaway program faults after DefaultLimit
// instructions.
func ExecRaw(code []byte, mem []byte) (r0 uint64, err error) {
	return execRaw(code, mem, DefaultLimit)
}

func execRaw(code []byte, mem []byte, limit uint64) (uint64, error) {
	insns, err := DecodeInsns(code)
	if err != nil {
		return 0, err
	}
	if len(insns) == 0 {
		return 0, fmt.Errorf("bpfvm: empty program")
	}
	m, err := NewMemory(uint64(len(mem)) + MaxCallFrames*StackSize + 1<<16)
	if err != nil {
		return 0, err
	}
	defer m.Close()
	reg := NewRegistry()
	RegisterBase(reg)
	vm := &VM{Mem: m, Registry: reg, NumCPUs: 1}
	c, err := vm.NewContext(0)
	if err != nil {
		return 0, err
	}
	c.Limit = limit
	var addr uint64
	if len(mem) > 0 {
		if addr, err = m.Alloc(uint64(len(mem)), 8); err != nil {
			return 0, err
		}
		copy(m.MustBytes(addr, uint64(len(mem))), mem)
	}
	p := &Program{Name: "exec", Insns: insns}
	r0, err := c.Call(p, addr, uint64(len(mem)))
	if len(mem) > 0 {
		copy(mem, m.MustBytes(addr, uint64(len(mem))))
	}
	return r0, err
}
