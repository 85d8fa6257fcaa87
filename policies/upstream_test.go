package policies

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// runUpstream loads testdata/upstream.bpf.o with its recipe on a machine of
// 2 LLCs x 2 cores x 2 threads and runs a sleep/run workload.
func runUpstream(t *testing.T, opts Options) (*BPFPolicy, *sim.Result) {
	t.Helper()
	topo := sim.TopologySpec{Nodes: 1, LLCsPerNode: 2, CoresPerLLC: 2, ThreadsPerCore: 2}
	opts.NumCPUs, opts.Topology, opts.HZ = 8, topo, 1000
	pol, err := Open("testdata/upstream.bpf.o", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pol.Close() })
	m, err := sim.NewMachine(sim.Params{Topology: topo, HZ: 1000, Seed: 5, Duration: 200e6}, pol)
	if err != nil {
		t.Fatal(err)
	}
	r := m.Rand("upstream")
	for i := 0; i < 10; i++ {
		run := false
		if _, err := m.Spawn(sim.TaskSpec{Comm: "w", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(200_000 + r.Uint64N(3_000_000))
			}
			return sim.Sleep(50_000 + r.Uint64N(500_000))
		})}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	return pol, res
}

// TestUpstreamFeatures runs a policy that uses what upstream schedulers
// use: SEC("syscall") programs run by a recipe (once, per CPU, per SMT
// pair, after ops.init), RCU sections around kptr cpumasks, the cpumask
// kfuncs, scx_bpf_select_cpu_and, the DSQ iterator with scx_bpf_dsq_move,
// scx_bpf_dsq_peek, scx_bpf_cpu_curr with idle tasks, scx_bpf_cpu_rq and
// cpuperf.
func TestUpstreamFeatures(t *testing.T) { forEngines(t, testUpstreamFeatures) }

func testUpstreamFeatures(t *testing.T, engine string) {
	recipe, err := LoadRecipe("testdata/upstream.toml")
	if err != nil {
		t.Fatal(err)
	}
	pol, res := runUpstream(t, Options{Recipe: recipe, Engine: engine})
	if res.Ejection != nil {
		t.Fatalf("ejected: %+v", res.Ejection)
	}
	g := func(name string) uint64 { return globalU64(t, pol, name) }
	// 1 clearing call + 8 CPUs; 8 sibling calls; timer on CPU 7 after init.
	if got := g("nr_primary_calls"); got != 9 {
		t.Errorf("enable_primary_cpu ran %d times, want 9", got)
	}
	if got := g("nr_sibling_calls"); got != 8 {
		t.Errorf("enable_sibling_cpu ran %d times, want 8", got)
	}
	// Linux numbering: CPU 0's sibling is CPU 4 (cores first, then threads).
	if got := g("sibling_of_cpu0"); got != 4 {
		t.Errorf("sibling of CPU 0 = %d, want 4", got)
	}
	if got := g("nr_timer_started"); got != 8 {
		t.Errorf("start_timer saw cpu_id+1 = %d, want 8 (run after init with $nr_cpus - 1)", got)
	}
	// 200 ms at one run every 10 ms, the first 10 ms after ops.init
	if n, last := g("nr_user_ticks"), g("last_user_tick"); n < 19 || n > 20 || last != n {
		t.Errorf("periodic user_tick ran %d times, last $tick %d; want 19 or 20, equal", n, last)
	}
	if got := g("nr_init_primary_weight"); got != 8 {
		t.Errorf("ops.init saw a primary mask of %d CPUs, want 8 (syscalls run before ops.init)", got)
	}
	for _, name := range []string{"nr_iter_seen", "nr_moved", "nr_idle_curr", "nr_curr_running",
		"nr_rq_reads", "nr_select_and", "nr_subset"} {
		if g(name) == 0 {
			t.Errorf("%s = 0", name)
		}
	}
	if got := g("nr_distribute_bad"); got != 0 {
		t.Errorf("bpf_cpumask_any_and_distribute returned no CPU %d times", got)
	}
	if pol.Ops().Flags&sim.OpsEnqExiting == 0 {
		t.Errorf("ops_flags_or did not set SCX_OPS_ENQ_EXITING: flags %#x", pol.Ops().Flags)
	}
	if res.Switches < 100 {
		t.Errorf("only %d switches", res.Switches)
	}
}

// TestRecipeErrors: a recipe naming what the object lacks, or malformed,
// fails to load with a message saying what and where.
func TestRecipeErrors(t *testing.T) {
	obj, err := bpfvm.LoadObject("testdata/upstream.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ recipe, want string }{
		{"name = \"upstream\"\n[rodata]\nno_such = 1\n", "no global variable named"},
		{"name = \"upstream\"\n[rodata]\nnr_cpus = \"$nr_cpuz\"\n", "unknown variable $nr_cpuz"},
		{"name = \"upstream\"\nbogus = 1\n", "unknown keys bogus"},
		{"name = \"upstream\"\n[[syscall]]\nprog = \"x\"\nfor = \"every\"\n", `for = "every"`},
		{"name = \"upstream\"\n[rodata\n", "r.toml:3:"},
	}
	for _, c := range cases {
		r, err := ParseRecipe("r.toml", []byte(c.recipe))
		if err == nil {
			_, err = LoadObject(obj, Options{NumCPUs: 2, NoVerify: true, Recipe: r})
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("recipe %q: error %v, want one containing %q", c.recipe, err, c.want)
		}
	}
	// A syscall program the object does not have fails at ops.init.
	r, _ := ParseRecipe("r.toml", []byte("name = \"upstream\"\n[[syscall]]\nprog = \"missing\"\n"))
	pol, err := LoadObject(obj, Options{NumCPUs: 2, NoVerify: true, Recipe: r})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	_, err = sim.NewMachine(sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Duration: 1e6}, pol)
	if err == nil || !strings.Contains(err.Error(), "missing is not in the object") {
		t.Errorf("missing syscall program: %v", err)
	}
}

// TestExprEval checks the recipe expression evaluator.
func TestExprEval(t *testing.T) {
	vars := map[string]int64{"n": 8, "smt": 1}
	for s, want := range map[string]int64{"$n": 8, "$n * 8 + 4": 68, "1 - $smt": 0, "$n / 2 - 1": 3, "-1": -1, "2 + 3 * 4": 14,
		"max($n / 16, 1)": 1, "min(max(2, 3), 4) * 2": 6,
		"mod($n + 3, $n)": 3, "min(5 / max($n / 2, 1), 1)": 1} {
		got, err := evalExpr(s, vars)
		if err != nil || got != want {
			t.Errorf("%q = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"$n *", "$x", "4 / 0", "a + 1"} {
		if _, err := evalExpr(s, vars); err == nil {
			t.Errorf("%q evaluated", s)
		}
	}
}

// TestUserTask runs testdata/relay.bpf.o, whose every decision goes through
// a user-space scheduler task (recipe [user_task], pid 1): each task's
// runs are relayed by it, the relay task runs, nothing is lost.
func TestUserTask(t *testing.T) {
	recipe, err := LoadRecipe("testdata/relay.toml")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := Open("testdata/relay.bpf.o", Options{NumCPUs: 2, NoVerify: true, Recipe: recipe})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	m, err := sim.NewMachine(sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Seed: 2, Duration: 50e6}, pol)
	if err != nil {
		t.Fatal(err)
	}
	var tasks []*sim.Task
	m.At(1000, func() {
		for i := 0; i < 6; i++ {
			run := false
			task, err := m.Spawn(sim.TaskSpec{Comm: "w", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
				run = !run
				if run {
					return sim.Run(300_000)
				}
				return sim.Sleep(100_000)
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
	if u := m.Tasks()[0]; u.Comm != "relayd" || u.PID != 1 {
		t.Fatalf("first task %s[%d], want the user task relayd[1]", u.Comm, u.PID)
	}
	relayed, userRuns := globalU64(t, pol, "nr_relayed"), globalU64(t, pol, "nr_user_runs")
	// (a wakeup that finds an idle CPU is dispatched there directly by the
	// default select_cpu, skipping user space; the others are relayed)
	if relayed < 20 || userRuns == 0 {
		t.Errorf("%d tasks relayed, the user task dispatched %d times", relayed, userRuns)
	}
	for _, task := range tasks {
		if task.Stats.Switches < 5 {
			t.Errorf("%s[%d] ran %d times in 50 ms", task.Comm, task.PID, task.Stats.Switches)
		}
	}
}

// TestShippedRecipeAbsentRodata: a shipped recipe (written against one scx
// version) that sets a rodata variable the object lacks skips it and names
// it in the recipe note; the variables the object has are still set.
func TestShippedRecipeAbsentRodata(t *testing.T) {
	obj, err := bpfvm.LoadObject("testdata/upstream.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRecipe("policies/recipes/upstream.toml", []byte("name = \"upstream\"\n[rodata]\nno_such = 1\nnr_cpus = 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	r.shipped = true
	pol, err := LoadObject(obj, Options{NumCPUs: 2, NoVerify: true, Recipe: r})
	if err != nil {
		t.Fatalf("shipped recipe with an absent variable: %v", err)
	}
	defer pol.Close()
	if !strings.Contains(pol.RecipeNote, "rodata no_such not in this object") {
		t.Errorf("note %q does not name the absent variable", pol.RecipeNote)
	}
	if strings.Contains(pol.RecipeNote, "nr_cpus") {
		t.Errorf("note %q names a variable the object has", pol.RecipeNote)
	}
}
