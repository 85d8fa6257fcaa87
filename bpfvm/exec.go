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
	x, err := NewExec(code, len(mem))
	if err != nil {
		return 0, err
	}
	defer x.Close()
	x.C.Limit = limit
	r0, _, err := x.Run(mem)
	return r0, err
}

// Exec is a raw program (as ExecRaw takes it) in a VM of its own, ready to
// run repeatedly: schedsim exec --count uses it to compare engines.
type Exec struct {
	C    *Context // set C.Engine to choose the engine
	p    *Program
	addr uint64
	size uint64
}

// NewExec loads code into a fresh VM with memSize bytes of memory for
// the program's data (r1 points at it, r2 is memSize).
func NewExec(code []byte, memSize int) (*Exec, error) {
	insns, err := DecodeInsns(code)
	if err != nil {
		return nil, err
	}
	if len(insns) == 0 {
		return nil, fmt.Errorf("bpfvm: empty program")
	}
	m, err := NewMemory(uint64(memSize) + MaxCallFrames*StackSize + 1<<16)
	if err != nil {
		return nil, err
	}
	reg := NewRegistry()
	RegisterBase(reg)
	vm := &VM{Mem: m, Registry: reg, NumCPUs: 1}
	c, err := vm.NewContext(0)
	if err != nil {
		m.Close()
		return nil, err
	}
	x := &Exec{C: c, p: &Program{Name: "exec", Insns: insns}, size: uint64(memSize)}
	if memSize > 0 {
		if x.addr, err = m.Alloc(x.size, 8); err != nil {
			m.Close()
			return nil, err
		}
	}
	return x, nil
}

// Run copies mem (memSize bytes) into the VM, runs the program with r1 =
// its address and r2 = its length, copies it back and returns r0 and the
// instructions executed.
func (x *Exec) Run(mem []byte) (r0, insns uint64, err error) {
	m := x.C.VM.Mem
	if x.size > 0 {
		copy(m.MustBytes(x.addr, x.size), mem)
	}
	i0 := x.C.Insns
	r0, err = x.C.Call(x.p, x.addr, x.size)
	if x.size > 0 {
		copy(mem, m.MustBytes(x.addr, x.size))
	}
	return r0, x.C.Insns - i0, err
}

// Start copies mem into the VM and starts the program with r1 = its
// address and r2 = its length, for a caller that drives it with C.Run (in
// quanta, switching C.Engine between them); Memory reads the memory back.
func (x *Exec) Start(mem []byte) error {
	if x.size > 0 {
		copy(x.C.VM.Mem.MustBytes(x.addr, x.size), mem)
	}
	return x.C.Start(x.p, x.addr, x.size)
}

// Memory returns the program's memory (memSize bytes, in the VM).
func (x *Exec) Memory() []byte {
	if x.size == 0 {
		return nil
	}
	return x.C.VM.Mem.MustBytes(x.addr, x.size)
}

// Close releases the VM's memory.
func (x *Exec) Close() error { return x.C.VM.Mem.Close() }
