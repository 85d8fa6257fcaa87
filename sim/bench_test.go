package sim

import (
	"fmt"
	"testing"
)

// benchScenario: n tasks that compute 50-550 us then sleep 0.2-4 ms, on a
// 2-node, 64-CPU SMT machine under the Go FIFO; a mix of wakeups, ticks,
// switches and idle transitions.
func benchScenario(b *testing.B, n int, dur uint64) *Machine {
	p := Params{Topology: TopologySpec{Nodes: 2, LLCsPerNode: 2, CoresPerLLC: 8, ThreadsPerCore: 2},
		HZ: 1000, ContextSwitch: 2000, IPI: 1000, Seed: 1, Duration: dur}
	m, err := NewMachine(p, &FIFO{})
	if err != nil {
		b.Fatal(err)
	}
	r := m.Rand("bench")
	for i := 0; i < n; i++ {
		run := true
		if _, err := m.Spawn(TaskSpec{Comm: "w", Behavior: BehaviorFunc(func(*Machine, *Task) Action {
			run = !run
			if !run {
				return Run(50_000 + r.Uint64N(500_000))
			}
			// Scale sleep with n so that the machine stays ~busy but not
			// overloaded at every size.
			return Sleep(uint64(n) * (2_000 + r.Uint64N(60_000)) / 10)
		})}); err != nil {
			b.Fatal(err)
		}
	}
	return m
}

// BenchmarkEvents reports simulated events per wall-clock second and ns per
// event as the number of tasks grows.
func BenchmarkEvents(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			var events uint64
			for b.Loop() {
				m := benchScenario(b, n, 200e6)
				m.Run()
				events += m.Events()
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}
