package eevdf_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies/eevdf"
	"github.com/schedsim/schedsim/sim"
)

// TestDumpMapEEVDF decodes the policy's own maps after a run by their BTF:
// the per-task hash agrees with the raw bytes Go reads (DecodeTaskState),
// the runqueues show their lock and trees as special fields, and .bss
// holds the counters.
func TestDumpMapEEVDF(t *testing.T) {
	p := oneCPU(200e6)
	pol := loadBPF(t, 1, 1e9/uint64(p.HZ))
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	a := cpuBound(t, m, "hog", 0)
	b := sleeper(t, m, "napper", 5, 1e6, 3e6)
	// the maps at the end of the run, before the unload's ops.exit_task
	// calls empty the tasks map (sim/disable.go)
	m.RunUntil(p.Duration)
	if e := m.Ejected(); e != nil {
		t.Fatalf("ejected: %+v", e)
	}
	tasks := pol.Instance().Map("tasks")
	es, err := bpfvm.DumpMap(tasks)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != tasks.Len() || len(es) < 2 {
		t.Fatalf("%d entries, map has %d", len(es), tasks.Len())
	}
	seen := map[int32]bool{}
	for i, e := range es {
		if e.Key.Kind != bpfvm.KindInt || e.CPU != -1 {
			t.Fatalf("entry %d: key %+v cpu %d", i, e.Key, e.CPU)
		}
		if i > 0 && bytes.Compare(es[i-1].Key.Raw, e.Key.Raw) >= 0 {
			t.Errorf("keys not sorted: %s then %s", es[i-1].Key, e.Key)
		}
		pid := int32(e.Key.Int)
		seen[pid] = true
		raw, err := tasks.Lookup(binary.LittleEndian.AppendUint32(nil, uint32(pid)))
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := eevdf.DecodeTaskState(raw)
		get := func(path string) bpfvm.Value {
			f, ok := e.Value.Field(path)
			if !ok {
				t.Fatalf("pid %d: no field %s in %s", pid, path, e.Value)
			}
			return f
		}
		if get("vruntime").Uint != ts.Vruntime || get("deadline").Uint != ts.Deadline || get("lag").Int != ts.Lag ||
			uint32(get("weight").Uint) != ts.Weight || int32(get("cpu").Int) != ts.CPU {
			t.Errorf("pid %d: decoded %s, raw %+v", pid, e.Value, ts)
		}
		if c := get("cpus"); c.Kind != bpfvm.KindArray || c.Fields[0].Uint&1 == 0 {
			t.Errorf("pid %d: cpus %s, want CPU 0's bit set", pid, c)
		}
	}
	for _, task := range []*sim.Task{a, b} {
		if !seen[task.PID] {
			t.Errorf("%s (pid %d) not in the dump", task.Comm, task.PID)
		}
	}
	rq, err := bpfvm.DumpMap(pol.Instance().Map("rqs"))
	if err != nil {
		t.Fatal(err)
	}
	if lock, ok := rq[0].Value.Field("lock"); !ok || lock.Kind != bpfvm.KindSpecial || lock.String() != "<bpf_spin_lock>" {
		t.Errorf("rqs[0].lock = %s", lock)
	}
	if tr, _ := rq[0].Value.Field("dl_tree"); tr.String() != "<bpf_rb_root>" {
		t.Errorf("rqs[0].dl_tree = %s", tr)
	}
	if n, _ := rq[0].Value.Field("nr_running"); n.Uint == 0 {
		t.Errorf("rqs[0].nr_running = %s, want the hog", n)
	}
	bss := pol.Instance().Map(".bss")
	ds, err := bpfvm.DumpMap(bss)
	if err != nil {
		t.Fatal(err)
	}
	want := readStats(t, pol)["picks"]
	if picks, ok := ds[0].Value.Field("stats.picks"); !ok || picks.Uint != want || want == 0 {
		t.Errorf(".bss stats.picks = %s, want %d (nonzero)", picks, want)
	}
	var out strings.Builder
	if err := bpfvm.FormatMapDump(&out, bss, ds); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"stats": {`) || !strings.Contains(out.String(), `"picks": `) {
		t.Errorf(".bss dump:\n%s", out.String())
	}
}
