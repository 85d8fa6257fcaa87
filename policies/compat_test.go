package policies

import (
	"encoding/binary"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// globalU64 reads a u64 global variable of the loaded policy.
func globalU64(t *testing.T, b *BPFPolicy, name string) uint64 {
	t.Helper()
	_, addr, err := b.Instance().Var(name)
	if err != nil {
		t.Fatal(err)
	}
	return b.VM().Mem.Load64(addr)
}

// TestUpstreamStyleObject runs testdata/compat.bpf.o, built against a
// vmlinux.h with the kernel's layout, and checks each feature it uses.
func TestUpstreamStyleObject(t *testing.T) {
	const ncpu = 8
	obj, err := bpfvm.LoadObject("testdata/compat.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	// Runtime behaviour only; TestVerifyCompat covers the verifier's verdict.
	pol, err := LoadObject(obj, Options{NumCPUs: ncpu, NoVerify: true,
		Params:    map[string]any{"nr_cpus": uint32(ncpu)},
		DataSizes: map[string]uint32{".data.cpu_dispatches": 8 * ncpu}})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 4, ThreadsPerCore: 2},
		HZ: 1000, Seed: 3, Duration: 200e6}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	r := m.Rand("compat")
	for i := 0; i < 20; i++ {
		run := false
		if _, err := m.Spawn(sim.TaskSpec{Comm: "w", Nice: i%2*5 - 2, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(50_000 + r.Uint64N(2_000_000))
			}
			return sim.Sleep(50_000 + r.Uint64N(2_000_000))
		})}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Ejection != nil {
		t.Fatalf("ejected: %+v", res.Ejection)
	}
	// weak compat kfuncs with bpf_ksym_exists
	if got := globalU64(t, pol, "have_new_insert"); got != 1 {
		t.Errorf("bpf_ksym_exists(scx_bpf_dsq_insert___new) = %d, want 1", got)
	}
	if got := globalU64(t, pol, "have_future"); got != 0 {
		t.Errorf("bpf_ksym_exists(scx_bpf_from_the_future___x) = %d, want 0", got)
	}
	// bpf_for in init over the nr_cpus rodata parameter
	if got := globalU64(t, pol, "nr_cpus_seen"); got != ncpu {
		t.Errorf("nr_cpus_seen = %d, want %d", got, ncpu)
	}
	// bpf_timer every 1 ms for 200 ms
	if got := globalU64(t, pol, "timer_fires"); got < 190 || got > 201 {
		t.Errorf("timer fired %d times in 200 ms at a 1 ms period", got)
	}
	stats := pol.Instance().Map("stats")
	pc, ok := stats.(interface {
		LookupPerCPU(key []byte) ([][]byte, error)
	})
	if !ok {
		t.Fatalf("stats map %T has no per-CPU lookup", stats)
	}
	sum := func(k uint32) uint64 {
		var key [4]byte
		binary.LittleEndian.PutUint32(key[:], k)
		vals, err := pc.LookupPerCPU(key[:])
		if err != nil {
			t.Fatal(err)
		}
		var s uint64
		for _, v := range vals {
			s += binary.LittleEndian.Uint64(v)
		}
		return s
	}
	queued, dispatched, running := sum(0), sum(1), sum(2)
	if queued == 0 || dispatched == 0 || dispatched > queued {
		t.Errorf("stats: queued %d, dispatched %d", queued, dispatched)
	}
	// CO-RE: p->scx.weight and p->pid read at schedsim's offsets. Task
	// storage (keyed by the task pointer) counted each task's enqueues.
	ts, ok := pol.Instance().Map("task_ctxs").(interface {
		Lookup(key []byte) ([]byte, error)
	})
	if !ok {
		t.Fatal("task storage map has no Lookup")
	}
	var wantW, wantPid, enqueues uint64
	for _, task := range m.Tasks() {
		var key [8]byte
		binary.LittleEndian.PutUint64(key[:], pol.taskAddr(task.K))
		v, err := ts.Lookup(key[:])
		if err != nil {
			t.Fatalf("task storage of %d: %v", task.PID, err)
		}
		n := binary.LittleEndian.Uint64(v[8:])
		enqueues += n
		wantW += n * uint64(task.K.Scx.Weight)
		wantPid += n * uint64(task.PID)
	}
	// DumpMaps keys task storage by pid, in pid order.
	dumps, err := pol.DumpMaps()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range dumps {
		if d.Name != "task_ctxs" {
			continue
		}
		found = true
		if len(d.Entries) != len(m.Tasks()) {
			t.Errorf("task_ctxs dump: %d entries for %d tasks", len(d.Entries), len(m.Tasks()))
		}
		pids := map[int64]bool{}
		for _, task := range m.Tasks() {
			pids[int64(task.PID)] = true
		}
		for i, e := range d.Entries {
			if e.Key.Type != "pid_t" || !pids[e.Key.Int] || i > 0 && e.Key.Int <= d.Entries[i-1].Key.Int {
				t.Errorf("task_ctxs entry %d: key %+v", i, e.Key)
			}
		}
	}
	if !found {
		t.Error("DumpMaps has no task_ctxs")
	}
	if got := globalU64(t, pol, "weight_sum"); got != wantW || wantW == 0 {
		t.Errorf("sum of p->scx.weight over enqueues = %d, want %d", got, wantW)
	}
	if got := globalU64(t, pol, "pid_sum"); got != wantPid {
		t.Errorf("sum of p->pid over enqueues = %d, want %d", got, wantPid)
	}
	if enqueues != queued+globalU64(t, pol, "queue_full") {
		t.Errorf("task storage counted %d enqueues, stats %d", enqueues, queued)
	}
	// running counted every switch-in of a task.
	var switchesIn uint64
	for _, tr := range res.PerTask {
		switchesIn += tr.Switches
	}
	if running != switchesIn {
		t.Errorf("running callbacks counted %d, tasks were switched in %d times", running, switchesIn)
	}
	// The resized .data.cpu_dispatches array counted dispatches on CPUs beyond 0.
	_, addr, err := pol.Instance().Var("cpu_dispatches")
	if err != nil {
		t.Fatal(err)
	}
	var total, beyond0 uint64
	for c := 0; c < ncpu; c++ {
		v := pol.VM().Mem.Load64(addr + uint64(8*c))
		total += v
		if c > 0 {
			beyond0 += v
		}
	}
	if total != dispatched || beyond0 == 0 {
		t.Errorf("cpu_dispatches: total %d (want %d), beyond cpu 0: %d", total, dispatched, beyond0)
	}
}
