package jit

import (
	"syscall"
	"testing"
	"time"

	"github.com/schedsim/schedsim/bpfvm"
)

// The loops of the engine benchmarks: the table (prime, memcpy,
// strcmp, a branchy switch) and a hash loop. Each takes r3 (a size) and
// works on the 64 KiB buffer set up by benchMachine.
var benchProgs = []struct {
	name string
	src  string
	arg  uint64
	want uint64 // r0, 0: not checked
}{
	{"prime", primeSrc, 10000, 1229},
	{"memcpy", `
	r1 = r7
	r2 = r7
	r2 += 32768
	r0 = 0
loop:
	if r0 >= r3 goto done
	r4 = r2
	r4 += r0
	r5 = *(u64 *)(r4 +0)
	r4 = r1
	r4 += r0
	*(u64 *)(r4 +0) = r5
	r0 += 8
	goto loop
done:
	exit`, 32768, 32768},
	{"strcmp", `
	r1 = r7
	r2 = r7
	r2 += 32768
	r0 = 0
loop:
	r4 = *(u8 *)(r1 +0)
	r5 = *(u8 *)(r2 +0)
	if r4 != r5 goto diff
	if r4 == 0 goto done
	r1 += 1
	r2 += 1
	goto loop
diff:
	r0 = r4
	r0 -= r5
done:
	exit`, 0, 0},
	{"hash", `
	r1 = r7
	r0 = 2166136261
	r2 = 0
loop:
	if r2 >= r3 goto done
	r4 = r1
	r4 += r2
	r5 = *(u8 *)(r4 +0)
	r0 ^= r5
	r0 *= 16777619
	r2 += 1
	goto loop
done:
	exit`, 32768, 0},
	{"switch", `
	r0 = 0
	r2 = 0
loop:
	if r2 >= r3 goto done
	r4 = r2
	r4 &= 7
	if r4 == 0 goto c0
	if r4 == 1 goto c1
	if r4 == 2 goto c2
	if r4 s> 5 goto c3
	r0 += 1
	goto next
c0:	r0 ^= r2
	goto next
c1:	r0 += r2
	goto next
c2:	r0 -= 3
	goto next
c3:	r0 <<= 1
next:
	r2 += 1
	goto loop
done:
	exit`, 32768, 0},
}

// benchMachine: a VM whose 64 KiB buffer holds two equal strings of 32767
// bytes at 0 and 32768 (strcmp runs to the end); r7 points at it.
func benchMachine(b *testing.B, e bpfvm.Engine) (*bpfvm.Context, uint64) {
	mem, err := bpfvm.NewMemory(1 << 20)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { mem.Close() })
	reg := bpfvm.NewRegistry()
	bpfvm.RegisterBase(reg)
	vm := &bpfvm.VM{Mem: mem, Registry: reg, NumCPUs: 1}
	c, err := vm.NewContext(0)
	if err != nil {
		b.Fatal(err)
	}
	c.Engine = e
	c.Limit = 0
	buf, _ := mem.Alloc(65536, 8)
	bs := mem.MustBytes(buf, 65536)
	for k := range 32767 {
		bs[k] = byte('a' + k%26)
		bs[32768+k] = byte('a' + k%26)
	}
	return c, buf
}

func engines() []struct {
	name string
	new  func() bpfvm.Engine
} {
	es := []struct {
		name string
		new  func() bpfvm.Engine
	}{{"interp", func() bpfvm.Engine { return bpfvm.NewInterpreter() }}}
	if Supported {
		es = append(es, struct {
			name string
			new  func() bpfvm.Engine
		}{"jit", New})
	}
	return es
}

// BenchmarkLoops runs each loop on both engines side by side; ns/insn is
// the figure to compare.
//
//	go test ./jit -run '^$' -bench Loops -count 5
func BenchmarkLoops(b *testing.B) {
	for _, bp := range benchProgs {
		for _, e := range engines() {
			b.Run(bp.name+"/"+e.name, func(b *testing.B) {
				c, buf := benchMachine(b, e.new())
				insns, err := bpfvm.AssembleWith(bp.src, nil)
				if err != nil {
					b.Fatal(err)
				}
				p := &bpfvm.Program{Name: bp.name, Insns: insns}
				run := func() uint64 {
					if err := c.Start(p, 0, 0, bp.arg); err != nil {
						b.Fatal(err)
					}
					c.Regs[7] = buf
					st, err := c.Run(0)
					if st != bpfvm.StatusExited {
						b.Fatal(st, err)
					}
					return c.Regs[0]
				}
				if r0 := run(); bp.want != 0 && r0 != bp.want {
					b.Fatalf("r0 = %d, want %d", r0, bp.want)
				}
				start, cpu := c.Insns, cpuTime()
				for b.Loop() {
					run()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(c.Insns-start), "ns/insn")
				cpuNs := float64(cpuTime() - cpu)
				b.ReportMetric(cpuNs/float64(c.Insns-start), "cpu-ns/insn")
				b.ReportMetric(cpuNs/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkCall measures the overhead of one call of a trivial program
// (three instructions) through Context.Call.
func BenchmarkCall(b *testing.B) {
	for _, e := range engines() {
		b.Run(e.name, func(b *testing.B) {
			c, _ := benchMachine(b, e.new())
			insns, _ := bpfvm.AssembleWith("r0 = r1\nr0 += 1\nexit", nil)
			p := &bpfvm.Program{Name: "trivial", Insns: insns}
			c.Call(p, 1) // compiles
			cpu := cpuTime()
			for b.Loop() {
				c.Call(p, 1)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/call")
		})
	}
}

// cpuTime is the process's user+system CPU time: on a shared machine wall
// time includes waiting for a CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEnter is the native part of a call alone: the trampoline, the
// call's prologue (entry0: the 2 registers the program uses loaded),
// three instructions and the exit (Context.PC, Insns, Depth and r0
// stored); the loop puts Depth back to 1.
func BenchmarkEnter(b *testing.B) {
	if !Supported {
		b.Skip("no JIT on this platform")
	}
	c, _ := benchMachine(b, New())
	insns, _ := bpfvm.AssembleWith("r0 = r1\nr0 += 1\nexit", nil)
	p := &bpfvm.Program{Name: "trivial", Insns: insns}
	c.Call(p, 1) // compiles
	cd := lookup(c.VM, p).code
	st := &state{ctx: c, memBase: c.VM.Mem.Base()}
	c.Depth, c.Base = 1, 1
	cpu := cpuTime()
	for b.Loop() {
		c.Depth = 1
		st.budget, st.target = 1000, c.Insns+1000
		enter(cd.entry0, st)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/enter")
}

// BenchmarkHelperCall measures one call of a trivial helper from a loop
// (the exit to Go, CallFunc, the re-entry): cpu-ns/call is per helper call.
//
//	go test ./jit -run '^$' -bench HelperCall -count 3
func BenchmarkHelperCall(b *testing.B) {
	for _, e := range engines() {
		b.Run(e.name, func(b *testing.B) {
			c, _ := benchMachine(b, e.new())
			c.VM.Registry.AddHelper(&bpfvm.Helper{ID: 1002, Name: "bench_nop", Cost: 1, Fn: func(c *bpfvm.Context, r1, _, _, _, _ uint64) (uint64, error) {
				return r1 + 1, nil
			}})
			insns, err := bpfvm.AssembleWith(`
	r6 = 0
loop:
	r1 = r6
	call 1002
	r6 = r0
	if r6 < 1000 goto loop
	r0 = r6
	exit`, nil)
			if err != nil {
				b.Fatal(err)
			}
			p := &bpfvm.Program{Name: "helpers", Insns: insns}
			if r0, err := c.Call(p); r0 != 1000 || err != nil {
				b.Fatal(r0, err)
			}
			cpu := cpuTime()
			for b.Loop() {
				c.Call(p)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1000, "cpu-ns/call")
		})
	}
}
