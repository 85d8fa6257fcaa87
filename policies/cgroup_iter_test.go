package policies

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/verifier"
)

// TestCSSIterator runs testdata/cssiter.bpf.o on the hierarchy
//
//	/ (1) ── /a (2) ── /a/x (3)
//	   │          └── /a/y (4)
//	   └──── /b (5) ── /b/z (6)
//
// and checks the order in which the css iterator visits it: pre-order from
// the root and from /a, post-order from the root, ancestors up from /b/z (a
// task's cgroup, in ops.enqueue), and -EINVAL with nothing visited for an
// order bpf_iter_css does not take.
func TestCSSIterator(t *testing.T) { forEngines(t, testCSSIterator) }

func testCSSIterator(t *testing.T, engine string) {
	pol, err := Open("testdata/cssiter.bpf.o", Options{NumCPUs: 2, Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Seed: 1, Duration: 20e6,
		Cgroups: []sim.CgroupSpec{{Path: "/a"}, {Path: "/a/x"}, {Path: "/a/y"}, {Path: "/b"}, {Path: "/b/z"}}}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetGroupCgroup(1, "/b/z"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ { // more tasks than CPUs: some go through ops.enqueue
		if _, err := m.Spawn(sim.TaskSpec{Comm: "w", Group: i % 2, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			return sim.Run(1_000_000)
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
	for i, want := range []string{"/", "/a", "/a/x", "/a/y", "/b", "/b/z"} {
		if cg := m.Cgroups()[i]; cg.Path != want || cg.ID != uint64(i+1) {
			t.Fatalf("cgroup %d: %s id %d, want %s id %d", i, cg.Path, cg.ID, want, i+1)
		}
	}
	ids := func(arr, count string) []uint64 {
		_, addr, err := pol.Instance().Var(arr)
		if err != nil {
			t.Fatal(err)
		}
		n := globalU64(t, pol, count)
		out := make([]uint64, min(n, 16))
		for i := range out {
			out[i] = pol.VM().Mem.Load64(addr + 8*uint64(i))
		}
		return out
	}
	for _, c := range []struct {
		arr, count string
		want       []uint64
	}{
		{"pre_ids", "nr_pre", []uint64{1, 2, 3, 4, 5, 6}},
		{"post_ids", "nr_post", []uint64{3, 4, 2, 6, 5, 1}},
		{"sub_ids", "nr_sub", []uint64{2, 3, 4}},
		{"up_ids", "nr_up", []uint64{6, 5, 1}},
	} {
		if got := ids(c.arr, c.count); !slices.Equal(got, c.want) {
			t.Errorf("%s = %v, want %v", c.arr, got, c.want)
		}
	}
	if got := globalU64(t, pol, "bad_order_ret"); got != 22 {
		t.Errorf("bpf_iter_css_new(BPF_CGROUP_ITER_SELF_ONLY) = -%d, want -EINVAL", got)
	}
	if got := globalU64(t, pol, "nr_bad_order"); got != 0 {
		t.Errorf("a refused css iterator returned %d cgroups", got)
	}
}

// TestCSSIteratorNeedsRCU: a sleepable program using the css iterator
// outside bpf_rcu_read_lock() is rejected, with the kernel's message.
func TestCSSIteratorNeedsRCU(t *testing.T) {
	_, err := Open("testdata/cssiter_norcu.bpf.o", Options{NumCPUs: 2})
	var ve *verifier.Error
	if !errors.As(err, &ve) {
		t.Fatalf("cssiter_norcu.bpf.o: %v, want a verifier rejection", err)
	}
	if ve.Prog != "norcu_init" || !strings.Contains(ve.Msg, "expected an RCU CS when using bpf_iter_css_next") {
		t.Errorf("rejection %v", ve)
	}
}
