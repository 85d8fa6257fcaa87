package policies

import (
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// TestRustlandRun runs testdata/urbsched.bpf.o, a policy speaking
// scx_rustland_core's protocol, with the rustland user-space model
// (testdata/urbsched.toml): tasks go to user space through the `queued`
// ring buffer and come back through the `dispatched` user ring buffer,
// drained by bpf_user_ringbuf_drain in ops.dispatch; rs_select_cpu picks
// CPUs; the yielding user task is kept on its CPU (a refilled slice) while
// it has work. Nothing is lost, every worker runs, and the interpreter and
// the JIT give the same schedule.
const nWorkers = 6 // on 4 CPUs: some wakeups find an idle CPU, some do not

func TestRustlandRun(t *testing.T) {
	hashes := map[string]string{}
	forEngines(t, func(t *testing.T, engine string) {
		recipe, err := LoadRecipe("testdata/urbsched.toml")
		if err != nil {
			t.Fatal(err)
		}
		pol, err := Open("testdata/urbsched.bpf.o", Options{NumCPUs: 4, Recipe: recipe, Engine: engine})
		if err != nil {
			t.Fatal(err)
		}
		defer pol.Close()
		m, err := sim.NewMachine(sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 4, ThreadsPerCore: 1},
			HZ: 1000, Seed: 3, Duration: 100e6}, pol)
		if err != nil {
			t.Fatal(err)
		}
		var tasks []*sim.Task
		m.At(1000, func() {
			r := m.Rand("w")
			for i := 0; i < nWorkers; i++ {
				run := false
				task, err := m.Spawn(sim.TaskSpec{Comm: "w", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
					run = !run
					if run {
						return sim.Run(100_000 + r.Uint64N(1_000_000))
					}
					return sim.Sleep(50_000 + r.Uint64N(300_000))
				})})
				if err != nil {
					t.Fatal(err)
				}
				tasks = append(tasks, task)
			}
		})
		res, err := m.Run()
		if err != nil {
			t.Fatal(err)
		}
		if res.Ejection != nil {
			t.Fatalf("ejected: %+v", res.Ejection)
		}
		if u := m.Tasks()[0]; u.Comm != "scx_rustland" || u.PID != 1 {
			t.Fatalf("first task %s[%d], want the user task scx_rustland[1]", u.Comm, u.PID)
		}
		g := func(n string) uint64 { return globalU64(t, pol, n) }
		t.Logf("drained %d (on a CPU %d, any %d, stale %d), user task runs %d, refills %d, nr_queued %d, nr_scheduled %d",
			g("nr_drained"), g("nr_on_cpu"), g("nr_any"), g("nr_stale"), g("nr_usersched_runs"), g("nr_refills"), g("nr_queued"), g("nr_scheduled"))
		if g("nr_drained") < 200 || g("nr_on_cpu") == 0 || g("nr_any") == 0 || g("nr_usersched_runs") == 0 || g("nr_refills") == 0 {
			t.Error("the protocol did not run: see the counts above")
		}
		for _, task := range tasks {
			if task.Stats.Switches < 20 {
				t.Errorf("%s[%d] ran %d times in 100 ms", task.Comm, task.PID, task.Stats.Switches)
			}
		}
		hashes[engine] = res.ScheduleHash
	})
	if hashes["interp"] != hashes["jit"] {
		t.Errorf("schedule hash %s (interp) != %s (jit)", hashes["interp"], hashes["jit"])
	}
}
