package policies

import (
	"encoding/binary"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// TestArenaPolicy runs testdata/arena.bpf.o, which keeps per-task records
// in arena pages (bpf_arena_alloc_pages) threaded on a free list held in an
// __arena global, with arena pointers in task storage and in arena memory.
// User space writes an arena global before ops.init and runs a syscall
// program that allocates pages and returns their address.
func TestArenaPolicy(t *testing.T) { forEngines(t, testArenaPolicy) }

func testArenaPolicy(t *testing.T, engine string) {
	const ncpu, ntasks, exiting = 4, 200, 50
	pol, err := Open("testdata/arena.bpf.o", Options{NumCPUs: ncpu, Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	am, ok := pol.Instance().Map("arena").(bpfvm.ArenaMap)
	if !ok {
		t.Fatalf("the arena map is a %T", pol.Instance().Map("arena"))
	}
	base, size := am.Base(), uint64(len(am.Data()))
	if size != 64*4096 || base%4096 != 0 {
		t.Fatalf("arena at %#x, %d bytes; want 64 page-aligned pages", base, size)
	}
	// The globals sit in the arena's last page, as libbpf places them.
	_, seedAddr, err := pol.Instance().Var("arena_seed")
	if err != nil {
		t.Fatal(err)
	}
	if seedAddr < base+size-4096 || seedAddr >= base+size {
		t.Errorf("arena_seed at %#x, not in the arena's last page [%#x, %#x)", seedAddr, base+size-4096, base+size)
	}
	if got := pol.VM().Mem.Load64(seedAddr); got != 7 {
		t.Errorf("arena_seed initial value %d, want 7", got)
	}
	// user space writes into arena memory before ops.init
	binary.LittleEndian.PutUint64(am.Data()[seedAddr-base:], 42)

	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: ncpu, ThreadsPerCore: 1},
		HZ: 1000, Seed: 11, Duration: 100e6}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	r := m.Rand("arena")
	for i := 0; i < ntasks; i++ {
		n := 0
		exits := i < exiting
		if _, err := m.Spawn(sim.TaskSpec{Comm: "a", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			n++
			switch {
			case exits && n > 6:
				return sim.Exit()
			case n%2 == 1:
				return sim.Run(20_000 + r.Uint64N(200_000))
			}
			return sim.Sleep(100_000 + r.Uint64N(2_000_000))
		})}); err != nil {
			t.Fatal(err)
		}
	}
	g := func(name string) uint64 { return globalU64(t, pol, name) }
	// at the end of the run, before the unload (sim/disable.go)
	m.RunUntil(p.Duration)
	if got := g("live_recs"); got != ntasks-exiting {
		t.Errorf("live_recs = %d, want %d (exit_task returns records to the free list)", got, ntasks-exiting)
	}
	res, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Ejection != nil {
		t.Fatalf("ejected: %+v", res.Ejection)
	}
	if got := g("seen_seed"); got != 42 {
		t.Errorf("ops.init read arena_seed = %d, want the 42 user space wrote", got)
	}
	// 200 records of 32 bytes, 128 a page: 2 pages
	if got := g("nr_pages"); got != 2 {
		t.Errorf("nr_pages = %d, want 2", got)
	}
	// the unload's ops.exit_task for every task left returned the rest
	if got := g("live_recs"); got != 0 {
		t.Errorf("live_recs = %d after the unload, want 0", got)
	}
	if g("total_runs") < ntasks {
		t.Errorf("total_runs = %d, want at least one per task", g("total_runs"))
	}
	if g("nr_alloc_fail") != 0 {
		t.Errorf("%d arena allocations failed", g("nr_alloc_fail"))
	}
	// BPF_PROG_RUN of a syscall program that allocates 3 pages and returns
	// their address in its context (context_out).
	prog := pol.Instance().Program("alloc_for_user")
	ctx := make([]byte, 16)
	binary.LittleEndian.PutUint32(ctx[8:], 3)
	ret, out, err := pol.progRun(prog, ctx)
	if err != nil || ret != 0 {
		t.Fatalf("alloc_for_user: %d, %v", ret, err)
	}
	addr := binary.LittleEndian.Uint64(out)
	if addr < base || addr+3*4096 > base+size-4096 || addr%4096 != 0 {
		t.Errorf("alloc_for_user returned %#x, not 3 free pages of the arena [%#x, +%d)", addr, base, size)
	}
	// the first 2 pages went to task records: these are the next 3
	if addr != base+2*4096 {
		t.Errorf("alloc_for_user returned page %d, want page 2 (lowest free range)", (addr-base)/4096)
	}
}
