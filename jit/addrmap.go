package jit

import (
	"fmt"
	"os"
	"sync"

	"github.com/schedsim/schedsim/bpfvm"
)

// A debugging aid, not used in normal runs: with SCHEDSIM_JIT_MAP=FILE
// in the environment, every compiled program appends to FILE where its
// code lies and which BPF instruction each stretch of it was generated
// for, so a profiler's per-address counts (callgrind --dump-instr=yes:
// the code shows up as addresses of no object) can be attributed to
// programs and instructions (docs/performance.md, "Generated code for
// EEVDF, session 6"). Lines:
//
//	P <name> <base hex> <size of code before the entry table>
//	M <offset> <pc> <kind>
//	I <pc> <the instruction, disassembled>
//	B <the code's bytes in hex>
//
// a mark holds until the next; kinds: i (the instruction's code), c (out
// of line code of the instruction), e (entry stub), x (exit stub), X
// (the common exit), p (prologue), t (the entry table).
var addrMap = struct {
	sync.Mutex
	path string
}{path: os.Getenv("SCHEDSIM_JIT_MAP")}

type mark struct {
	off, pc int
	kind    byte
}

// mark records that the code from here on belongs to pc (addrMap only).
func (c *compiler) mark(pc int, kind byte) {
	if addrMap.path != "" {
		c.marks = append(c.marks, mark{c.a.len(), pc, kind})
	}
}

func writeAddrMap(vm *bpfvm.VM, p *bpfvm.Program, base uintptr, size int, marks []mark, code []byte) {
	addrMap.Lock()
	defer addrMap.Unlock()
	f, err := os.OpenFile(addrMap.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "P %s %#x %d\n", p.Name, base, size)
	fmt.Fprintf(f, "B %x\n", code)
	for _, mk := range marks {
		fmt.Fprintf(f, "M %d %d %c\n", mk.off, mk.pc, mk.kind)
	}
	var reg *bpfvm.Registry
	if vm != nil {
		reg = vm.Registry
	}
	for i := range p.Insns {
		fmt.Fprintf(f, "I %d %s\n", i, bpfvm.Disasm(p.Insns, i, reg))
	}
}
