package bpfvm

import (
	"bytes"
	"testing"
)

// FuzzInterp runs random instruction bytes with an instruction limit. The
// interpreter must not panic (a stray host access would crash the test
// binary), and a run split into quanta must end exactly as a run in one
// piece: same r0 or fault, same instruction count, same memory.
func FuzzInterp(f *testing.F) {
	seeds := []string{
		primeSrc,
		memcpySrc,
		"r0 = *(u64 *)(r1 +0)\nr0 += r2\nexit",
		"r2 = 0x1000 ll\nr1 += r2\nr0 = *(u8 *)(r1 +0)\nexit",
		"r1 = 3\nr2 = func cb\nr3 = 0\nr4 = 0\ncall 181\nexit\ncb: r0 = 0\nexit",
		"r1 = r10\nr1 += -8\nr2 = 0\nr3 = 3\ncall kfunc 0\nr1 = r10\nr1 += -8\ncall kfunc 1\nexit",
		"l: may_goto pc+1\ngoto l\nexit",
		"call pc+1\nexit\nr0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)\nexit",
		"w0 = 0x80000000\nw0 s/= -1\nr0 s%= 0\nr0 = bswap64 r0\nexit",
	}
	for _, s := range seeds {
		insns, err := Assemble(s)
		if err != nil {
			f.Fatal(err)
		}
		var code []byte
		for _, in := range insns {
			code = in.Encode(code)
		}
		f.Add(code, uint8(3))
	}
	f.Fuzz(func(t *testing.T, code []byte, quantum uint8) {
		code = code[:len(code)&^7]
		if len(code) == 0 || len(code) > 8*256 {
			return
		}
		mem := make([]byte, 64)
		for k := range mem {
			mem[k] = byte(k)
		}
		r0, err := execRaw(code, mem, 20000)

		// the same program in quanta
		insns, _ := DecodeInsns(code)
		m, err2 := NewMemory(uint64(len(mem)) + MaxCallFrames*StackSize + 1<<16)
		if err2 != nil {
			t.Fatal(err2)
		}
		defer m.Close()
		reg := NewRegistry()
		RegisterBase(reg)
		vm := &VM{Mem: m, Registry: reg, NumCPUs: 1}
		c, _ := vm.NewContext(0)
		c.Limit = 20000
		addr, _ := m.Alloc(uint64(len(mem)), 8)
		mem2 := m.MustBytes(addr, uint64(len(mem)))
		for k := range mem2 {
			mem2[k] = byte(k)
		}
		p := &Program{Name: "exec", Insns: insns}
		if err := c.Start(p, addr, uint64(len(mem))); err != nil {
			t.Fatal(err)
		}
		q := uint64(quantum%16) + 1
		var st Status
		var err3 error
		for st, err3 = c.Run(q); st == StatusPreempted; st, err3 = c.Run(q) {
		}
		if (err == nil) != (err3 == nil) || err != nil && err.Error() != err3.Error() {
			t.Fatalf("in one piece: %v; in quanta of %d: %v", err, q, err3)
		}
		if err == nil && r0 != c.Regs[0] {
			t.Fatalf("r0 %#x in one piece, %#x in quanta", r0, c.Regs[0])
		}
		if !bytes.Equal(mem, mem2) {
			t.Fatalf("memory differs:\n%x\n%x", mem, mem2)
		}
	})
}
