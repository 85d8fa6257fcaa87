package fifo_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// BenchmarkWeb runs configs/web.toml (1 s simulated) under the BPF FIFO
// with callbacks synchronous and interleaved (quantum 64 instructions) on
// each engine, and under the Go FIFO: events per second and the
// interleaving slowdown.
//
//	go test ./policies/fifo -run '^$' -bench Web -count 5
func BenchmarkWeb(b *testing.B) {
	for _, mode := range []string{"go", "bpf-sync-jit", "bpf-sync-interp", "bpf-interleaved-jit", "bpf-interleaved-interp"} {
		b.Run(mode, func(b *testing.B) {
			data, _ := configs.FS.ReadFile("web.toml")
			cfg, err := sim.ParseConfig("web.toml", data)
			if err != nil {
				b.Fatal(err)
			}
			dur := uint64(1e9)
			o := sim.Overrides{Duration: &dur, Interleave: strings.HasPrefix(mode, "bpf-interleaved")}
			engine := mode[strings.LastIndex(mode, "-")+1:]
			var events uint64
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				var s sim.Scheduler = &sim.FIFO{Slice: 5e6}
				if mode != "go" {
					obj, _ := policies.ParseObject("fifo")
					ps, _ := policies.ConfigParams(obj, cfg.Policy.Params)
					pol, err := policies.LoadObject(obj, policies.Options{NumCPUs: 16, Params: ps, InsnCostPs: 250, Quantum: 64, Engine: engine})
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
				c0 := cpuTime()
				r, err := scn.Run()
				cpu += cpuTime() - c0
				if err != nil || r.Ejection != nil {
					b.Fatal(err, r.Ejection)
				}
				events += r.Events
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/run")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/run")
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
