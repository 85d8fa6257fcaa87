package jit

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
)

// BenchmarkClock calibrates cycles: loops of 32 dependent operations and
// three loop instructions. add: "r0 += r4" (one cycle each; an immediate
// add could be folded at rename), mul: "r0 *= r4" (three). cpu-ns/op is
// the time of one operation. mod: 32 independent "r5 = r2; r5 %= r4",
// the throughput of the unsigned modulo (r2 < 2^52: the divsd path).
//
//	go test ./jit -run '^$' -bench Clock -count 3
func BenchmarkClock(b *testing.B) {
	if !Supported {
		b.Skip("no JIT on this platform")
	}
	for _, bc := range []struct{ name, op string }{{"add", "r0 += r4"}, {"mul", "r0 *= r4"}, {"mod", "r5 = r2\nr5 %= r4"}} {
		op := bc.op
		b.Run(bc.name, func(b *testing.B) {
			src := "r0 = 0\nr2 = 0\nr4 = 3\nloop:\n" + strings.Repeat(op+"\n", 32) +
				"r2 += 1\nif r2 < r3 goto loop\nexit"
			c, _ := benchMachine(b, New())
			insns, err := bpfvm.AssembleWith(src, nil)
			if err != nil {
				b.Fatal(err)
			}
			p := &bpfvm.Program{Name: "clock", Insns: insns}
			const iters = 100000
			cpu := cpuTime()
			for b.Loop() {
				if err := c.Start(p, 0, 0, iters); err != nil {
					b.Fatal(err)
				}
				if st, err := c.Run(0); st != bpfvm.StatusExited {
					b.Fatal(st, err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/iters/32, "cpu-ns/op")
		})
	}
}
