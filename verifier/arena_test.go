package verifier

import (
	"errors"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// TestArenaPointers: addr_space_cast from address space 1 makes an arena
// pointer (any arithmetic, loads give numbers), the other way a number;
// the cast needs an arena map and address spaces 0 and 1.
func TestArenaPointers(t *testing.T) {
	e := newTestEnv(t)
	cast := func(dst, src uint8, imm int32) bpfvm.Insn {
		return bpfvm.Insn{Op: bpfvm.ClassALU64 | bpfvm.AluMOV | bpfvm.SrcX, Dst: dst, Src: src, Off: 1, Imm: imm}
	}
	asm := func(src string) []bpfvm.Insn {
		insns, err := bpfvm.AssembleWith(src, e.reg)
		if err != nil {
			t.Fatal(err)
		}
		return insns
	}
	load := asm("r2 = *(u64 *)(r1 +0)")
	tail := asm("r1 += 8\nr3 = 1\n*(u64 *)(r1 +0) = r3\nr0 = *(u32 *)(r1 +4)\nr0 &= 1\nexit")
	prog := func(c bpfvm.Insn) []bpfvm.Insn {
		return append(append(append([]bpfvm.Insn{}, load...), c), tail...)
	}
	// r1 = cast(r2): replace the register in the cast
	for _, tc := range []struct {
		name  string
		insns []bpfvm.Insn
		noMap bool
		want  string
	}{
		{"as1 to as0", prog(cast(1, 2, 1)), false, ""},
		{"as0 to as1 is a number", prog(cast(1, 2, 1<<16)), false, "R1 invalid mem access 'scalar'"},
		{"bad address space", prog(cast(1, 2, 2)), false, "addr_space_cast insn can only convert between address space 1 and 0"},
		{"no arena", prog(cast(1, 2, 1)), true, "addr_space_cast insn can only be used in a program that has an associated arena"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := e.env()
			env.Args = []ArgDesc{{Name: "x", Type: tU64}}
			if tc.noMap {
				env.Maps = env.Maps[:18]
			}
			_, err := Verify(&bpfvm.Program{Name: "arena", Insns: tc.insns}, env)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *Error
			if !errors.As(err, &ve) || !strings.Contains(ve.Msg, tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
