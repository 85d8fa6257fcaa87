package fifo_test

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/configs"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

func params(cpus int) sim.Params {
	return sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 2, CoresPerLLC: cpus / 4, ThreadsPerCore: 2},
		HZ: 1000, ContextSwitch: 2000, IPI: 1000, Seed: 7, Duration: 300e6}
}

func populate(t *testing.T, m *sim.Machine) {
	r := m.Rand("fifo-test")
	for i := 0; i < 24; i++ {
		run := false
		nice := i%3*5 - 5
		if _, err := m.Spawn(sim.TaskSpec{Comm: "w", Nice: nice, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(20_000 + r.Uint64N(3_000_000))
			}
			return sim.Sleep(10_000 + r.Uint64N(4_000_000))
		})}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBPFFIFOMatchesGoFIFO(t *testing.T) {
	p := params(8)
	goM, err := sim.NewMachine(p, &sim.FIFO{})
	if err != nil {
		t.Fatal(err)
	}
	populate(t, goM)
	goR, _ := goM.Run()

	pol, err := policies.Open("fifo", policies.Options{NumCPUs: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	bpfM, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	populate(t, bpfM)
	bpfR, _ := bpfM.Run()
	if bpfR.Ejection != nil {
		t.Fatalf("BPF FIFO ejected: %+v", bpfR.Ejection)
	}
	if goR.Switches < 1000 {
		t.Fatalf("only %d switches", goR.Switches)
	}
	if goR.ScheduleHash != bpfR.ScheduleHash {
		t.Errorf("schedule hash: Go FIFO %s (%d switches), BPF FIFO %s (%d switches)",
			goR.ScheduleHash, goR.Switches, bpfR.ScheduleHash, bpfR.Switches)
	}
}

// TestEveryConfigMatchesGoFIFO runs each shipped config under the BPF FIFO
// and the Go FIFO, with scheduler code free for both, and compares
// schedule hashes.
func TestEveryConfigMatchesGoFIFO(t *testing.T) {
	entries, err := configs.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".toml") {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			data, _ := configs.FS.ReadFile(e.Name())
			cfg, err := sim.ParseConfig(e.Name(), data)
			if err != nil {
				t.Fatal(err)
			}
			dur := min(cfg.Run.Duration, uint64(300e6))
			if testing.Short() || e.Name() == "bigmachine.toml" {
				dur = min(dur, 100e6)
			}
			o := sim.Overrides{Duration: &dur}
			if cfg.Run.Warmup >= dur {
				cfg.Run.Warmup = 0
			}
			goF := &sim.FIFO{}
			for _, p := range cfg.Policy.Params {
				if p.Name == "slice_ns" {
					if goF.Slice, err = p.Duration(); err != nil {
						t.Fatal(err)
					}
				}
			}
			scn, err := cfg.Build(goF, o)
			if err != nil {
				t.Fatal(err)
			}
			goR, err := scn.Run()
			if err != nil {
				t.Fatal(err)
			}
			obj, err := policies.ParseObject("fifo")
			if err != nil {
				t.Fatal(err)
			}
			ps, err := policies.ConfigParams(obj, cfg.Policy.Params)
			if err != nil {
				t.Fatal(err)
			}
			mp := cfg.Params(o)
			pol, err := policies.LoadObject(obj, policies.Options{NumCPUs: mp.Topology.Nodes * mp.Topology.LLCsPerNode *
				mp.Topology.CoresPerLLC * mp.Topology.ThreadsPerCore, Params: ps})
			if err != nil {
				t.Fatal(err)
			}
			defer pol.Close()
			scn, err = cfg.Build(pol, o)
			if err != nil {
				t.Fatal(err)
			}
			bpfR, err := scn.Run()
			if err != nil {
				t.Fatal(err)
			}
			if bpfR.Ejection != nil {
				t.Fatalf("ejected: %+v", bpfR.Ejection)
			}
			if goR.Switches == 0 || goR.ScheduleHash != bpfR.ScheduleHash {
				t.Errorf("schedule hash: Go FIFO %s (%d switches), BPF FIFO %s (%d switches)",
					goR.ScheduleHash, goR.Switches, bpfR.ScheduleHash, bpfR.Switches)
			}
		})
	}
	if n < 6 {
		t.Errorf("only %d configs", n)
	}
}
