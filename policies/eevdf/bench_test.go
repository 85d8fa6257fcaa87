package eevdf_test

import (
	"testing"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// BenchmarkEEVDFWeb runs web.toml (shortened to 200 ms of simulated time)
// under the BPF policy, setup (load, verification, workload) excluded, and
// reports simulated events per wall-clock second and, per callback, how
// often it ran and the BPF instructions it executed on average.
//
//	go test ./policies/eevdf/ -run '^$' -bench EEVDFWeb
func BenchmarkEEVDFWeb(b *testing.B) {
	benchConfig(b, "web.toml", 200e6, true)
}

// BenchmarkEEVDFWebModel is the same run under the Go model, for scale.
func BenchmarkEEVDFWebModel(b *testing.B) {
	benchConfig(b, "web.toml", 200e6, false)
}

func benchConfig(b *testing.B, name string, dur uint64, bpf bool) {
	c := loadConfig(b, name, dur)
	var events, calls, insns uint64
	var perCb [32]struct{ calls, insns uint64 }
	for b.Loop() {
		b.StopTimer()
		var s sim.Scheduler = modelFor(c.tick)
		var pol *policies.BPFPolicy
		if bpf {
			pol = loadBPF(b, c.ncpu, c.tick)
			s = pol
		}
		o := sim.Overrides{Duration: &c.dur}
		scn, err := c.cfg.Build(s, o)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		r, err := scn.Run()
		b.StopTimer()
		if err != nil || r.Ejection != nil {
			b.Fatalf("%v %+v", err, r.Ejection)
		}
		events += scn.Machine.Events()
		if bpf {
			for i := range pol.Calls {
				calls += pol.Calls[i]
				insns += pol.Insns[i]
				perCb[i].calls += pol.Calls[i]
				perCb[i].insns += pol.Insns[i]
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if !bpf || calls == 0 {
		return
	}
	b.ReportMetric(float64(insns)/float64(calls), "insns/callback")
	for i, pc := range perCb {
		if pc.calls == 0 {
			continue
		}
		cb := sim.Callback(1) << i
		b.ReportMetric(float64(pc.insns)/float64(pc.calls), "insns/"+cb.String())
		b.ReportMetric(float64(pc.calls)/float64(b.N), "calls/"+cb.String())
	}
}
