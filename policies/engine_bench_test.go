package policies_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// bigRunSleep is a 384-CPU machine with 768 tasks that run about 1 ms and
// sleep about 3 ms: callbacks on many CPUs, little else.
const bigRunSleep = `
[run]
duration = "5s"
seed = 1

[machine]
nodes = 2
llcs_per_node = 4
cores_per_llc = 24
threads_per_core = 2

[policy]
name = "fifo"

[[workload]]
kind = "periodic"
name = "runsleep"
tasks = 768
period = "4ms"
run = {dist = "exp", mean = "1ms"}
jitter = "1ms"
`

// BenchmarkBigMachine runs bigRunSleep (shortened to 500 ms simulated;
// setup excluded) under the Go FIFO, and the BPF FIFO and EEVDF on each
// engine: the wall time per run compares the engines end to end.
//
//	go test ./policies -run '^$' -bench BigMachine -benchtime 1x -count 3
func BenchmarkBigMachine(b *testing.B) {
	cfg, err := sim.ParseConfig("bigrunsleep.toml", []byte(bigRunSleep))
	if err != nil {
		b.Fatal(err)
	}
	dur := uint64(500e6)
	for _, pol := range []string{"fifo-go", "fifo/jit", "fifo/interp", "eevdf/jit", "eevdf/interp"} {
		b.Run(pol, func(b *testing.B) {
			var events uint64
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				var s sim.Scheduler = &sim.FIFO{}
				if pol != "fifo-go" {
					name, engine := pol[:len(pol)-len("/jit")], "jit"
					if pol[len(pol)-1] == 'p' {
						name, engine = pol[:len(pol)-len("/interp")], "interp"
					}
					obj, err := policies.ParseObject(name)
					if err != nil {
						b.Fatal(err)
					}
					p, err := policies.LoadObject(obj, policies.Options{NumCPUs: 384, InsnCostPs: 250, Engine: engine})
					if err != nil {
						b.Fatal(err)
					}
					s = p
				}
				scn, err := cfg.Build(s, sim.Overrides{Duration: &dur})
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
				if p, ok := s.(*policies.BPFPolicy); ok {
					p.Close()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9, "s/run")
			b.ReportMetric(float64(events)/float64(b.N), "events/run")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/run")
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
