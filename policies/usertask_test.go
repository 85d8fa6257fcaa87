package policies

import (
	"fmt"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// TestVtimeQueue checks scx_userland.c's vruntime order: runtime scaled by
// 100/weight, ties before, the minimum vruntime a returning task is raised
// to, and min_vruntime following the dispatched head.
func TestVtimeQueue(t *testing.T) {
	q := newVtimeQueue()
	q.enqueue(1, 0, 100)
	q.pop() // min_vruntime 0
	// pid 2 ran 1 ms at weight 100, pid 3 ran 1 ms at weight 200 (nice -5-ish),
	// pid 4 ran 0.4 ms at weight 100
	q.enqueue(2, 1_000_000, 100)
	q.enqueue(3, 1_000_000, 200)
	q.enqueue(4, 400_000, 100)
	var order []int32
	for q.len() > 0 {
		order = append(order, q.first())
		q.pop()
	}
	if fmt.Sprint(order) != "[4 3 2]" {
		t.Fatalf("order %v, want [4 3 2] (vruntimes 400000, 500000, 1000000)", order)
	}
	if q.minVrt != 1_000_000 {
		t.Fatalf("min_vruntime %v after dispatching pid 2, want 1e6", q.minVrt)
	}
	// pid 1 comes back having run 0.1 ms more: its vruntime 100000 is
	// below min_vruntime, so it is raised to 1e6; pid 5 (new, 0 runtime)
	// likewise; the tie goes before the task queued earlier.
	q.enqueue(1, 100_000, 100)
	q.enqueue(5, 0, 100)
	if q.first() != 5 || q.queue[0].vrt != 1_000_000 || q.queue[1].vrt != 1_000_000 {
		t.Fatalf("head pid %d vruntime %v / %v, want pid 5 at 1e6 before pid 1 at 1e6", q.first(), q.queue[0].vrt, q.queue[1].vrt)
	}
	// reported again while queued: still one entry
	q.enqueue(1, 600_000, 100)
	if q.len() != 2 || q.queue[1].pid != 1 || q.queue[1].vrt != 1_500_000 {
		t.Fatalf("after re-reporting pid 1: %d queued, second pid %d at %v; want 2, pid 1 at 1.5e6", q.len(), q.queue[1].pid, q.queue[1].vrt)
	}
}

// TestUserTaskVruntimeNeedsFields runs the relay policy with order = "vruntime" on an
// object whose queue holds bare pids: refused with the reason.
func TestUserTaskVruntimeNeedsFields(t *testing.T) {
	_, _, err := runRelay(t, `name = "relay"
[rodata]
usersched_pid = 1
[user_task]
from = "enqueued"
to = "dispatched"
order = "vruntime"
`, 2, 5e6)
	if err == nil || !strings.Contains(err.Error(), "pid, sum_exec_runtime, weight") {
		t.Fatalf("err = %v, want the missing enqueued-task members named", err)
	}
}

// TestKernelThreads: [kernel_threads] gives every CPU a pinned task that
// runs its burst each period, after the user task (pid 1), and they stay
// on their CPUs.
func TestKernelThreads(t *testing.T) {
	data := `name = "relay"
[rodata]
usersched_pid = 1
[user_task]
comm = "relayd"
from = "enqueued"
to = "dispatched"
[kernel_threads]
every = "2ms"
run = "10us"
`
	m, res, err := runRelay(t, data, 4, 20e6)
	if err != nil || res.Ejection != nil {
		t.Fatalf("run: %v, ejection %+v", err, res)
	}
	tasks := m.Tasks()
	if len(tasks) != 5 || tasks[0].Comm != "relayd" || tasks[0].PID != 1 {
		t.Fatalf("tasks %d, first %s[%d]; want relayd[1] and 4 kernel threads", len(tasks), tasks[0].Comm, tasks[0].PID)
	}
	for cpu, k := range tasks[1:] {
		if k.Comm != fmt.Sprintf("kworker/%d", cpu) || k.K.NrCpusAllowed != 1 || !k.Allowed(cpu) {
			t.Errorf("task %s allowed on %d CPUs, want kworker/%d pinned to CPU %d", k.Comm, k.K.NrCpusAllowed, cpu, cpu)
		}
		// 20 ms / 2 ms: ~10 bursts of 10 us
		if k.Stats.Runtime < 80_000 || k.Stats.Runtime > 110_000 || k.CPU() != cpu {
			t.Errorf("%s ran %d ns, last on CPU %d; want about 100 us on CPU %d", k.Comm, k.Stats.Runtime, k.CPU(), cpu)
		}
	}
	for _, bad := range []string{`every = "2ms"` + "\n" + `run = "3ms"`, `every = "x"` + "\n" + `run = "1us"`} {
		_, _, err := runRelay(t, strings.Replace(data, "every = \"2ms\"\nrun = \"10us\"", bad, 1), 4, 2e6)
		if err == nil || !strings.Contains(err.Error(), "kernel_threads") {
			t.Errorf("%q: err = %v, want a kernel_threads error", bad, err)
		}
	}
}

// runRelay runs testdata/relay.bpf.o with the recipe in TOML on ncpu CPUs
// of one LLC for dur ns; the policy is closed when the test ends.
func runRelay(t *testing.T, recipe string, ncpu int, dur uint64) (*sim.Machine, *sim.Result, error) {
	t.Helper()
	return runRelayTopo(t, recipe, sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: ncpu, ThreadsPerCore: 1}, dur)
}

// runRelayTopo is runRelay on the machine topo.
func runRelayTopo(t *testing.T, recipe string, topo sim.TopologySpec, dur uint64) (*sim.Machine, *sim.Result, error) {
	t.Helper()
	r, err := ParseRecipe("recipe.toml", []byte(recipe))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := Open("testdata/relay.bpf.o", Options{NumCPUs: topo.Nodes * topo.LLCsPerNode * topo.CoresPerLLC * topo.ThreadsPerCore, Topology: topo, NoVerify: true, Recipe: r})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pol.Close() })
	m, err := sim.NewMachine(sim.Params{Topology: topo, HZ: 1000, Seed: 2, Duration: dur}, pol)
	if err != nil {
		return nil, nil, err
	}
	res, err := m.Run()
	return m, res, err
}

// TestJiffies64: bpf_jiffies64 counts ticks from INITIAL_JIFFIES
// ((unsigned int)(-300 * HZ)), as the kernel's jiffies_64 does.
func TestJiffies64(t *testing.T) {
	m, _, err := runRelay(t, "name = \"relay\"\n[rodata]\nusersched_pid = 1\n[user_task]\nfrom = \"enqueued\"\nto = \"dispatched\"\n", 2, 25_500_000)
	if err != nil {
		t.Fatal(err)
	}
	pol := m.Scheduler().(*BPFPolicy)
	h := pol.VM().Registry.Helper(118)
	if h == nil || h.Name != "bpf_jiffies64" {
		t.Fatalf("helper 118: %+v", h)
	}
	got, err := h.Fn(nil, 0, 0, 0, 0, 0)
	if want := uint64(1<<32-300*1000) + pol.ktime()/1e6; err != nil || got != want {
		t.Fatalf("jiffies64 = %d, %v; want %d (HZ 1000, %d ns)", got, err, want, pol.ktime())
	}
}
