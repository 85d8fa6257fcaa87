//go:build unix

package tui

import (
	"syscall"
	"testing"
	"time"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// The dashboard's cost at full speed against a plain run of the same
// config (what `schedsim run` does): web.toml under its own policy (the
// BPF fifo), its whole 2 s.
//
//	go test ./tui -run '^$' -bench 'Web' -benchtime 5x

func webBuild(b *testing.B, dur uint64) Build { return configBuild(b, configs.Default, "", dur) }

// configBuild builds an example config under policy (its own if "") for
// dur of simulated time (its own if 0).
func configBuild(b *testing.B, name, policy string, dur uint64) Build {
	data, err := configs.FS.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := sim.ParseConfig(name, data)
	if err != nil {
		b.Fatal(err)
	}
	if policy == "" {
		policy = cfg.Policy.Name
	}
	return func(obs sim.Observer) (*sim.Scenario, sim.Scheduler, error) {
		obj, err := policies.ParseObject(policy)
		if err != nil {
			return nil, nil, err
		}
		var ps map[string]any
		if policy == cfg.Policy.Name {
			if ps, err = policies.ConfigParams(obj, cfg.Policy.Params); err != nil {
				return nil, nil, err
			}
		}
		p := cfg.Params(sim.Overrides{})
		pol, err := policies.LoadObject(obj, policies.Options{NumCPUs: p.Topology.Nodes * p.Topology.LLCsPerNode *
			p.Topology.CoresPerLLC * p.Topology.ThreadsPerCore, Params: ps, InsnCostPs: cfg.Policy.InsnCostPs, Seed: p.Seed})
		if err != nil {
			return nil, nil, err
		}
		o := sim.Overrides{}
		if dur > 0 {
			o.Duration = &dur
		}
		if obs != nil {
			o.Observers = []sim.Observer{obs}
		}
		scn, err := cfg.Build(pol, o)
		return scn, pol, err
	}
}

const benchDur = 0 // the config's

// BenchmarkRunWeb is the plain run.
func BenchmarkRunWeb(b *testing.B) {
	build := webBuild(b, benchDur)
	for b.Loop() {
		scn, sched, err := build(nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := scn.Run(); err != nil {
			b.Fatal(err)
		}
		sched.(*policies.BPFPolicy).Close()
	}
}

// benchTop runs the dashboard flat out on a w x h screen with panel
// focused, as App.Run does: simulate until the frame is due, then take the
// snapshots and draw.
func benchTop(b *testing.B, w, h int, focus Panel) {
	build := webBuild(b, benchDur)
	frames := 0
	for b.Loop() {
		s, err := NewSession("fifo", build, PolicyMaps, 1_000_000, 10_000_000)
		if err != nil {
			b.Fatal(err)
		}
		scr, _, err := newTermScreen(w, h)
		if err != nil {
			b.Fatal(err)
		}
		a := NewApp(scr, "web.toml", s)
		a.Model.Rate = len(rates) - 1
		a.Model.Focus = focus
		for !a.allDone() {
			a.FlatOutFrame()
			frames++
		}
		s.Close()
		scr.Fini()
	}
	b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
}

// BenchmarkTopWeb: 80x24, the CPU panel (the default view).
func BenchmarkTopWeb(b *testing.B) { benchTop(b, 80, 24, PanelCPUs) }

// BenchmarkTopWebAll: 200x60, every panel at once (tasks and every
// policy map decoded each frame).
func BenchmarkTopWebAll(b *testing.B) { benchTop(b, 200, 60, PanelCPUs) }

// cpuTime is the CPU time the process has used (user and system, every
// goroutine and the GC): on a shared machine it depends less on the load
// than wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTopOverhead alternates a plain run and a dashboard run (80x24,
// flat out) of web.toml and reports the dashboard's extra wall time and
// extra CPU time in percent; alternating keeps a busy machine's drift out
// of the ratio.
func BenchmarkTopOverhead(b *testing.B) { topOverhead(b, webBuild(b, benchDur)) }

// BenchmarkTopOverheadEEVDF is the same with EEVDF on mixed.toml (500 ms):
// a policy that takes locks on every callback and exports per-task
// counters, both events the observer pays for.
func BenchmarkTopOverheadEEVDF(b *testing.B) {
	topOverhead(b, configBuild(b, "mixed.toml", "eevdf", 500_000_000))
}

func topOverhead(b *testing.B, build Build) {
	var plain, top, plainCPU, topCPU time.Duration
	for b.Loop() {
		c0 := cpuTime()
		t0 := time.Now()
		scn, sched, err := build(nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := scn.Run(); err != nil {
			b.Fatal(err)
		}
		sched.(*policies.BPFPolicy).Close()
		t1 := time.Now()
		c1 := cpuTime()
		s, err := NewSession("fifo", build, PolicyMaps, 1_000_000, 10_000_000)
		if err != nil {
			b.Fatal(err)
		}
		scr, _, err := newTermScreen(80, 24)
		if err != nil {
			b.Fatal(err)
		}
		a := NewApp(scr, "web.toml", s)
		a.Model.Rate = len(rates) - 1
		for !a.allDone() {
			a.FlatOutFrame()
		}
		s.Close()
		scr.Fini()
		t2 := time.Now()
		c2 := cpuTime()
		plain += t1.Sub(t0)
		top += t2.Sub(t1)
		plainCPU += c1 - c0
		topCPU += c2 - c1
	}
	b.ReportMetric(100*(float64(top)/float64(plain)-1), "overhead_%")
	b.ReportMetric(100*(float64(topCPU)/float64(plainCPU)-1), "cpu_overhead_%")
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "run_ns/op")
	b.ReportMetric(float64(top.Nanoseconds())/float64(b.N), "top_ns/op")
}

// BenchmarkFrame is one frame of the dashboard on web.toml at 80x24 (the
// CPU panel): snapshot and draw.
func BenchmarkFrame(b *testing.B) {
	s, err := NewSession("fifo", webBuild(b, benchDur), PolicyMaps, 1_000_000, 10_000_000)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	scr, tty, err := newTermScreen(80, 24)
	if err != nil {
		b.Fatal(err)
	}
	defer scr.Fini()
	a := NewApp(scr, "web.toml", s)
	a.Goto(300_000_000)
	for a.Seeking() {
		a.Advance(FrameInterval, time.Now().Add(time.Hour))
	}
	b.ReportAllocs()
	before := tty.written
	for b.Loop() {
		a.Advance(time.Millisecond, time.Now().Add(time.Hour)) // 1/10: 100 µs
		a.dirty = true
		a.Draw()
	}
	b.ReportMetric(float64(tty.written-before)/float64(b.N), "bytes/frame")
}
