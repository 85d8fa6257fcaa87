package bpfvm

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the user+system CPU time of the process. On the shared
// machines this project is developed on, wall time includes waiting for a
// CPU; the benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func newTestVM(tb testing.TB) *VM {
	tb.Helper()
	mem, err := NewMemory(1 << 20)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { mem.Close() })
	reg := NewRegistry()
	RegisterBase(reg)
	return &VM{Mem: mem, Registry: reg, NumCPUs: 2}
}

func newTestContext(tb testing.TB) *Context {
	tb.Helper()
	c, err := newTestVM(tb).NewContext(0)
	if err != nil {
		tb.Fatal(err)
	}
	c.Engine = testEngine()
	return c
}

func mustProg(tb testing.TB, reg *Registry, src string) *Program {
	tb.Helper()
	insns, err := AssembleWith(src, reg)
	if err != nil {
		tb.Fatal(err)
	}
	return &Program{Name: tb.Name(), Insns: insns}
}

// primeSrc counts the primes below r1 by trial division.
const primeSrc = `
	r6 = r1          ; limit
	r0 = 0           ; count
	r2 = 2           ; candidate
outer:
	if r2 >= r6 goto done
	r3 = 2           ; divisor
inner:
	r4 = r3
	r4 *= r3
	if r4 > r2 goto prime
	r5 = r2
	r5 %= r3
	if r5 == 0 goto next
	r3 += 1
	goto inner
prime:
	r0 += 1
next:
	r2 += 1
	goto outer
done:
	exit
`

// memcpySrc copies r3 bytes from r2 to r1, 8 at a time.
const memcpySrc = `
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
	exit
`

func BenchmarkInterpPrime(b *testing.B) {
	c := newTestContext(b)
	p := mustProg(b, nil, primeSrc)
	r0, err := c.Call(p, 10000)
	if err != nil || r0 != 1229 {
		b.Fatalf("primes below 10000 = %d, %v", r0, err)
	}
	start, cpu := c.Insns, cpuTime()
	b.ResetTimer()
	for b.Loop() {
		c.Call(p, 10000)
	}
	n := float64(c.Insns - start)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/insn")
	b.ReportMetric(float64(cpuTime()-cpu)/n, "cpu-ns/insn")
}

func BenchmarkInterpMemcpy(b *testing.B) {
	c := newTestContext(b)
	p := mustProg(b, nil, memcpySrc)
	const size = 64 << 10
	src, _ := c.VM.Mem.Alloc(size, 8)
	dst, _ := c.VM.Mem.Alloc(size, 8)
	start, cpu := c.Insns, cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Call(p, dst, src, size); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(c.Insns - start)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/insn")
	b.ReportMetric(float64(cpuTime()-cpu)/n, "cpu-ns/insn")
}

func BenchmarkCall(b *testing.B) {
	c := newTestContext(b)
	p := mustProg(b, nil, "r0 = r1\nr0 += 1\nexit")
	cpu, calls := cpuTime(), 0
	for b.Loop() {
		c.Call(p, 1)
		calls++
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(calls), "cpu-ns/call")
}
