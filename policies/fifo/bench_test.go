package fifo_test

import (
	"testing"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// BenchmarkWeb runs configs/web.toml (1 s simulated) under the BPF FIFO
// with callbacks synchronous and interleaved (quantum 64 instructions),
// and under the Go FIFO: events per second and the interleaving slowdown.
func BenchmarkWeb(b *testing.B) {
	for _, mode := range []string{"go", "bpf-sync", "bpf-interleaved"} {
		b.Run(mode, func(b *testing.B) {
			data, _ := configs.FS.ReadFile("web.toml")
			cfg, err := sim.ParseConfig("web.toml", data)
			if err != nil {
				b.Fatal(err)
			}
			dur := uint64(1e9)
			o := sim.Overrides{Duration: &dur, Interleave: mode == "bpf-interleaved"}
			var events uint64
			for b.Loop() {
				b.StopTimer()
				var s sim.Scheduler = &sim.FIFO{Slice: 5e6}
				if mode != "go" {
					obj, _ := policies.ParseObject("fifo")
					ps, _ := policies.ConfigParams(obj, cfg.Policy.Params)
					pol, err := policies.LoadObject(obj, policies.Options{NumCPUs: 16, Params: ps, InsnCostPs: 250, Quantum: 64})
					if err != nil {
						b.Fatal(err)
					}
					defer pol.Close()
					s = pol
				}
				scn, err := cfg.Build(s, o)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				r, err := scn.Run()
				if err != nil || r.Ejection != nil {
					b.Fatal(err, r.Ejection)
				}
				events += r.Events
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/run")
		})
	}
}
