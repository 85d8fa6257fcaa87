package policies

import (
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// TestEEVDFTasksInResult: a run of the eevdf policy lists every task's
// EEVDF state in the result's extra.eevdf_tasks, with the weight of its
// nice level and a runqueue of the machine; another policy lists none.
func TestEEVDFTasksInResult(t *testing.T) {
	run := func(policy string) *sim.Result {
		const ncpu = 4
		pol, err := Open(policy, Options{NumCPUs: ncpu})
		if err != nil {
			t.Fatal(err)
		}
		defer pol.Close()
		p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: ncpu, ThreadsPerCore: 1},
			HZ: 1000, Seed: 3, Duration: 100e6}
		m, err := sim.NewMachine(p, pol)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 10; i++ {
			if _, err := m.Spawn(sim.TaskSpec{Comm: "w", Nice: i % 2 * 5, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
				return sim.Run(1_000_000)
			})}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := m.Run()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run("eevdf")
	ts, ok := res.Extra["eevdf_tasks"].([]EEVDFTask)
	if !ok || len(ts) != len(res.PerTask) {
		t.Fatalf("eevdf_tasks: %T with %d entries for %d tasks", res.Extra["eevdf_tasks"], len(ts), len(res.PerTask))
	}
	nice := map[int32]int{}
	for _, tr := range res.PerTask {
		nice[tr.PID] = tr.Nice
	}
	for i, x := range ts {
		want := uint32(1024)
		if nice[x.PID] == 5 {
			want = 335
		}
		if x.Weight != want || x.CPU < 0 || x.CPU >= 4 || x.Vruntime == 0 || x.Deadline == 0 || i > 0 && ts[i-1].PID >= x.PID {
			t.Errorf("task %+v (nice %d)", x, nice[x.PID])
		}
	}
	if _, ok := run("fifo").Extra["eevdf_tasks"]; ok {
		t.Error("fifo reports eevdf_tasks")
	}
}
