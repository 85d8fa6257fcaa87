package fifo_test

import (
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// TestDumpMapFIFO decodes fifo's maps after a run: stats (a per-CPU array
// declared without BTF types, so raw bytes) lists each CPU's counters,
// and .rodata holds slice_ns as given.
func TestDumpMapFIFO(t *testing.T) {
	pol, err := policies.Open("fifo", policies.Options{NumCPUs: 4, Params: map[string]any{"slice_ns": 3_000_000}})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	m, err := sim.NewMachine(params(4), pol)
	if err != nil {
		t.Fatal(err)
	}
	populate(t, m)
	if r, _ := m.Run(); r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	es, err := bpfvm.DumpMap(pol.Instance().Map("stats"))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2*4 {
		t.Fatalf("%d entries, want 2 keys x 4 CPUs", len(es))
	}
	var total uint64
	for i, e := range es {
		if e.CPU != i%4 || e.Value.Kind != bpfvm.KindBytes || len(e.Value.Raw) != 8 {
			t.Fatalf("entry %d: %+v", i, e)
		}
		for j, c := range e.Value.Raw {
			total += uint64(c) << (8 * j)
		}
	}
	if total == 0 {
		t.Error("no dispatch counted in stats")
	}
	ro, err := bpfvm.DumpMap(pol.Instance().Map(".rodata"))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := ro[0].Value.Field("slice_ns"); !ok || s.Uint != 3_000_000 || s.Type != "const volatile u64" {
		t.Errorf(".rodata slice_ns = %+v", s)
	}
}
