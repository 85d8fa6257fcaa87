package fifo_test

import (
	"testing"

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
