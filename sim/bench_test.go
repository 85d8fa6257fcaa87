package sim_test

import (
	"fmt"
	"testing"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/sim"
)

// benchScenario: n tasks that compute 50-550 us then sleep, on a 2-node,
// 64-CPU SMT machine under the Go FIFO; sleeps scale with n so that the
// machine stays busy but not overloaded at every size: a mix of wakeups,
// ticks, switches and idle transitions.
func benchScenario(b *testing.B, n int, dur uint64) *sim.Machine {
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 2, LLCsPerNode: 2, CoresPerLLC: 8, ThreadsPerCore: 2},
		HZ: 1000, ContextSwitch: 2000, IPI: 1000, Seed: 1, Duration: dur}
	m, err := sim.NewMachine(p, &sim.FIFO{})
	if err != nil {
		b.Fatal(err)
	}
	r := m.Rand("bench")
	for i := 0; i < n; i++ {
		run := true
		if _, err := m.Spawn(sim.TaskSpec{Comm: "w", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if !run {
				return sim.Run(50_000 + r.Uint64N(500_000))
			}
			return sim.Sleep(uint64(n) * (2_000 + r.Uint64N(60_000)) / 10)
		})}); err != nil {
			b.Fatal(err)
		}
	}
	return m
}

// BenchmarkEvents reports simulated events per wall-clock second and ns
// per event as the number of tasks grows (setup excluded).
func BenchmarkEvents(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			var events uint64
			for b.Loop() {
				b.StopTimer()
				m := benchScenario(b, n, 1e9)
				b.StartTimer()
				if _, err := m.Run(); err != nil {
					b.Fatal(err)
				}
				events += m.Events()
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}

// BenchmarkConfig runs shipped configs under the Go FIFO (setup excluded).
func BenchmarkConfig(b *testing.B) {
	for _, name := range []string{"web.toml", "bigmachine.toml"} {
		b.Run(name, func(b *testing.B) {
			data, err := configs.FS.ReadFile(name)
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := sim.ParseConfig(name, data)
			if err != nil {
				b.Fatal(err)
			}
			var events uint64
			for b.Loop() {
				b.StopTimer()
				scn, err := cfg.Build(&sim.FIFO{}, sim.Overrides{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				r, err := scn.Run()
				if err != nil {
					b.Fatal(err)
				}
				events += r.Events
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
		})
	}
}
