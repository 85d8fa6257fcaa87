package policies

import (
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// TestExprComparisons: lt, le, gt, ge, eq, ne give 1 or 0 and nest with
// the other functions, as rusty's tuner recipe uses them to pick masks.
func TestExprComparisons(t *testing.T) {
	vars := map[string]int64{"u": 950000, "m": 0x0f0f}
	for expr, want := range map[string]int64{
		"lt($u, 900000) * $m":                       0,
		"ge($u, 900000) * $m":                       0x0f0f,
		"le(3, 3) + gt(3, 3) + eq(2, 2) + ne(2, 2)": 2,
		"20000000 - 19000000 * ge($u, 999990)":      20000000,
		"max(lt(1, 2), 7) + mod(9, 4)":              8,
		"min(ge($u, 1), 5)":                         1,
	} {
		got, err := evalExpr(expr, vars)
		if err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", expr, got, err, want)
		}
	}
	for _, bad := range []string{"lt(1)", "ge(1, 2", "ne($nope, 1)"} {
		if _, err := evalExpr(bad, vars); err == nil {
			t.Errorf("%q evaluated", bad)
		}
	}
}

// TestUtilPPM: busy time over elapsed time per CPU set, capped per CPU.
func TestUtilPPM(t *testing.T) {
	prev := cpuTimes{at: 1000, busy: []uint64{0, 0, 100}}
	cur := cpuTimes{at: 2000, busy: []uint64{500, 1000, 5000}}
	if u := utilPPM(prev, cur, []int{0}); u != 500000 {
		t.Errorf("CPU 0: %d ppm, want 500000", u)
	}
	if u := utilPPM(prev, cur, []int{0, 1, 2}); u != (500000+1000000+1000000)/3 {
		t.Errorf("CPUs 0-2: %d ppm, want %d (CPU 2 capped at 100%%)", u, (500000+1000000+1000000)/3)
	}
	if u := utilPPM(prev, prev, []int{0}); u != 0 {
		t.Errorf("no time elapsed: %d", u)
	}
}

// TestPeriodicSetOr runs a relay policy whose periodic step sets a global
// once per run and ORs a term per LLC: the global holds the last run's
// value, built from every LLC.
func TestPeriodicSetOr(t *testing.T) {
	m, res, err := runRelayTopo(t, `name = "relay"
[rodata]
usersched_pid = 1
[user_task]
from = "enqueued"
to = "dispatched"
[[periodic]]
every = "1ms"
for = "llc"
[periodic.set]
nr_relayed = "$tick * 1000000"
[periodic.or]
nr_relayed = "max(1, $llc * 4) + le($llc_util_ppm, 1000000) * 16"
`, sim.TopologySpec{Nodes: 1, LLCsPerNode: 2, CoresPerLLC: 2, ThreadsPerCore: 1}, 10_500_000)
	if err != nil || res.Ejection != nil {
		t.Fatalf("run: %v %+v", err, res)
	}
	pol := m.Scheduler().(*BPFPolicy)
	// 10 runs (1..10 ms); LLC 0 ORs 1|16, LLC 1 ORs 4|16. The relay's
	// BPF side counts relayed tasks in the same global between runs, but
	// no task is relayed here (none but the user task exists).
	if got := globalU64(t, pol, "nr_relayed"); got != 10_000_000|1|4|16 {
		t.Fatalf("nr_relayed = %d, want %d", got, 10_000_000|1|4|16)
	}
}

// TestPerNode: [per_node] fills one element per NUMA node with its mask.
func TestPerNode(t *testing.T) {
	obj, err := bpfvm.LoadObject("testdata/upstream.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRecipe("pn.toml", []byte("name = \"x\"\n[per_node]\n\"nr_cpus\" = \"$node_mask0 + $node_cpus * 1000 + $node_first * 100000\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Topology: sim.TopologySpec{Nodes: 2, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1}, HZ: 1000}
	if _, _, err := r.apply(obj, &opts, 0); err != nil {
		t.Fatal(err)
	}
	if got := opts.Params["nr_cpus[1]"]; got != int64(0b1100+2*1000+2*100000) {
		t.Fatalf("nr_cpus[1] = %v, want node 1's mask 0b1100, 2 CPUs, first 2", got)
	}
}

// TestCInt: a negative value for an unsigned member converts as C does.
func TestCInt(t *testing.T) {
	u32 := &btf.Int{Name: "u32", Size: 4}
	u64 := &btf.Int{Name: "u64", Size: 8}
	s32 := &btf.Int{Name: "s32", Size: 4, Encoding: btf.Signed}
	if v := cInt(u32, -1); v != uint64(0xffffffff) {
		t.Errorf("u32 -1 = %v", v)
	}
	if v := cInt(u64, -1); v != ^uint64(0) {
		t.Errorf("u64 -1 = %v", v)
	}
	if v := cInt(s32, -1); v != int64(-1) {
		t.Errorf("s32 -1 = %v", v)
	}
	if v := cInt(u64, 5); v != int64(5) {
		t.Errorf("u64 5 = %v", v)
	}
}

// TestShippedRecipes: every shipped recipe parses (no unknown keys) and is
// named after its file, so that the ops name finds it.
func TestShippedRecipes(t *testing.T) {
	names := Recipes()
	if len(names) < 17 {
		t.Fatalf("%d shipped recipes: %v", len(names), names)
	}
	for _, n := range names {
		r, err := FindRecipe(n)
		if err != nil || r == nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if r.Name != n {
			t.Errorf("policies/recipes/%s.toml is named %q", n, r.Name)
		}
	}
}

// TestRecipeBase: base = "p2dq" starts from the shipped p2dq recipe; the
// recipe's own table keys are added to (or override) the base's.
func TestRecipeBase(t *testing.T) {
	r, err := ParseRecipe("b.toml", []byte("name = \"x\"\nbase = \"p2dq\"\n[rodata]\nppid = -1\n\"p2dq_config.dsq_shift\" = 9\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "x" || r.ArenaLib == nil || r.ArenaLib.TaskCtx != "task_p2dq" || r.PerCPU["cpu_llc_ids"] != "$llc" {
		t.Fatalf("recipe %+v lacks p2dq's", r)
	}
	if r.Rodata["ppid"] != int64(-1) || r.Rodata["p2dq_config.dsq_shift"] != int64(9) || r.Rodata["topo_config.nr_cpus"] != "$nr_cpus" {
		t.Fatalf("rodata %v: want the recipe's ppid and dsq_shift over p2dq's", r.Rodata)
	}
	if _, err := ParseRecipe("b.toml", []byte("name = \"x\"\nbase = \"nope\"\n")); err == nil {
		t.Fatal("base nope accepted")
	}
}
