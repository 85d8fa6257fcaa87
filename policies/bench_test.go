package policies

import (
	"syscall"
	"testing"
	"time"

	"github.com/schedsim/schedsim/sim"
)

// benchPolicy loads testdata/bench.bpf.o on a 1-CPU machine with one task,
// whose callbacks the benchmarks then call directly.
func benchPolicy(b *testing.B) (*BPFPolicy, *sim.Task) {
	pol, err := Open("testdata/bench.bpf.o", Options{NumCPUs: 1, Engine: benchEngine})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pol.Close() })
	m, err := sim.NewMachine(sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 1, ThreadsPerCore: 1},
		HZ: 1000, Duration: 1e6}, pol)
	if err != nil {
		b.Fatal(err)
	}
	t, err := m.Spawn(sim.TaskSpec{Comm: "t", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action { return sim.Run(1e6) })})
	if err != nil {
		b.Fatal(err)
	}
	return pol, t
}

// benchEngine is the engine of benchPolicy.
var benchEngine = ""

// BenchmarkCallback is the cost of one callback invocation through the
// bridge: arguments into linear memory, the program run on the CPU's
// context, the result back (an empty ops.running), on each engine.
func BenchmarkCallback(b *testing.B) {
	for _, e := range EngineNames() {
		b.Run(e, func(b *testing.B) {
			benchEngine = e
			pol, t := benchPolicy(b)
			benchEngine = ""
			pol.Running(t)
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			for b.Loop() {
				pol.Running(t)
			}
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/call")
		})
	}
}

// BenchmarkLockUnlockPair is the cost of one uncontended
// bpf_spin_lock/bpf_spin_unlock pair: 100 pairs in a loop, minus the same
// loop without the lock, divided by 100.
func BenchmarkLockUnlockPair(b *testing.B) {
	pol, t := benchPolicy(b)
	const n = 20000
	start := time.Now()
	for range n {
		pol.Quiescent(t, 0) // the same loop without the lock
	}
	base := float64(time.Since(start).Nanoseconds()) / n
	b.ResetTimer()
	for b.Loop() {
		pol.Stopping(t, true)
	}
	per := float64(b.Elapsed().Nanoseconds())/float64(b.N) - base
	b.ReportMetric(per/100, "ns/pair")
	if pol.Fault() != nil {
		b.Fatal(pol.Fault())
	}
}
