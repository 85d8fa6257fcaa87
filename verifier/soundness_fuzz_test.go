package verifier

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// FuzzSoundness runs every random program the verifier accepts on the
// interpreter, with random arguments, and fails on anything a verified
// program must never do (a verifier bug, not a run-time check):
//
//   - a fault for memory outside linear memory, execution leaving the
//     program, an invalid instruction or too deep a call stack;
//   - a write outside the context's stack area: the program may write only
//     its stack (the context, its u64 argument array, is read-only, and
//     it has no maps), so every other byte of the VM's memory must be
//     unchanged, the neighbours of the stack included.
//
// The documented run-time checks are allowed: the instruction limit
// (ErrBudget), helper errors. The environment is the base registry
// (bpf_loop, bpf_iter_num_*) and two u64 arguments; the seeds are the
// corpus programs. Run it with
//
//	go test ./verifier/ -run '^$' -fuzz FuzzSoundness -parallel 1 -fuzztime 10m
func FuzzSoundness(f *testing.F) {
	reg := bpfvm.NewRegistry()
	bpfvm.RegisterBase(reg)
	e := newTestEnv(f)
	for _, cr := range corpusRaw(f, e) {
		raw := cr.raw
		f.Add(raw, uint64(0), uint64(7))
		f.Add(raw, ^uint64(0), uint64(1)<<40)
	}
	vm, err := bpfvm.NewVM(bpfvm.VMConfig{Registry: reg, MemSize: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { vm.Close() })
	c, err := vm.NewContext(0)
	if err != nil {
		f.Fatal(err)
	}
	args, err := vm.Mem.Alloc(16, 8)
	if err != nil {
		f.Fatal(err)
	}
	// a guard after everything: a stray write lands in memory we compare
	if _, err := vm.Mem.Alloc(4096, 8); err != nil {
		f.Fatal(err)
	}
	stackLo, stackHi := c.Stack()
	// SCHEDSIM_FUZZ_TRACE=FILE writes each input there before running it,
	// to find one that hangs
	trace := os.Getenv("SCHEDSIM_FUZZ_TRACE")
	f.Fuzz(func(t *testing.T, raw []byte, x, y uint64) {
		if trace != "" {
			os.WriteFile(trace, raw, 0o644)
		}
		insns, err := bpfvm.DecodeInsns(raw[:len(raw)/8*8])
		if err != nil || len(insns) == 0 || len(insns) > 512 {
			return
		}
		p := &bpfvm.Program{Name: "fuzz", Insns: insns}
		env := &Env{Registry: reg, InsnLimit: 10000,
			Args: []ArgDesc{{Name: "x", Type: tU64}, {Name: "y", Type: tU64}}}
		if _, err := Verify(p, env); err != nil {
			return
		}
		defer vm.Forget(p)
		m := vm.Mem
		binary.LittleEndian.PutUint64(m.MustBytes(args, 8), x)
		binary.LittleEndian.PutUint64(m.MustBytes(args+8, 8), y)
		before := bytes.Clone(m.MustBytes(m.Base(), m.InUse()))
		c.Limit = 1 << 20
		_, err = c.Call(p, args)
		c.Reset()
		if err != nil {
			var fault *bpfvm.Fault
			if errors.As(err, &fault) && !errors.Is(err, bpfvm.ErrBudget) {
				for _, bug := range []string{"outside linear memory", "left the program", "invalid instruction", "call stack deeper"} {
					if strings.Contains(fault.Reason, bug) {
						t.Fatalf("verified program faulted: %v\n%s", err, bpfvm.Listing(insns, reg))
					}
				}
			}
		}
		after := m.MustBytes(m.Base(), m.InUse())
		for i := range before {
			a := m.Base() + uint64(i)
			if before[i] != after[i] && (a < stackLo || a >= stackHi) {
				t.Fatalf("verified program wrote outside its stack at %s (stack %s..%s)\n%s",
					m.Describe(a), m.Describe(stackLo), m.Describe(stackHi), bpfvm.Listing(insns, reg))
			}
		}
	})
}
