package jit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestDumpLoops writes the machine code of the benchmark loops to
// $JIT_DUMP/NAME.bin (skipped without it), to read with
//
//	objdump -D -b binary -mi386:x86-64 NAME.bin
func TestDumpLoops(t *testing.T) {
	dir := os.Getenv("JIT_DUMP")
	if dir == "" || !Supported {
		t.Skip("JIT_DUMP not set")
	}
	for _, bp := range benchProgs {
		insns, err := bpfvm.AssembleWith(bp.src, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := &bpfvm.Program{Name: bp.name, Insns: insns}
		c := &compiler{p: p, n: len(p.Insns), r1Map: -1}
		b, pos := c.assemble()
		if err := os.WriteFile(filepath.Join(dir, bp.name+".bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		var lines []byte
		for i := range insns {
			lines = append(lines, []byte(
				hex4(pos[i])+"  "+bpfvm.Disasm(insns, i, nil)+"\n")...)
		}
		os.WriteFile(filepath.Join(dir, bp.name+".map"), lines, 0o644)
	}
}

func hex4(v int) string {
	const d = "0123456789abcdef"
	if v < 0 {
		return "----"
	}
	return string([]byte{d[v>>12&15], d[v>>8&15], d[v>>4&15], d[v&15]})
}
