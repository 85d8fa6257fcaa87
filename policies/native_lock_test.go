package policies

import (
	"reflect"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// nativeRun runs obj on 4 CPUs without interleaving on engine.
func nativeRun(t *testing.T, obj string, params map[string]any, opts Options, engine string, before func(*BPFPolicy), obs ...sim.Observer) (*BPFPolicy, *sim.Result, uint64) {
	t.Helper()
	opts.NumCPUs, opts.Params, opts.Engine, opts.Seed, opts.InsnCostPs = 4, params, engine, 1, 250
	pol, err := Open(obj, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pol.Close() })
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 4, ThreadsPerCore: 1},
		HZ: 1000, Seed: 1, Duration: 30e6, ContextSwitch: 1000, IPI: 500, Observers: obs}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(pol)
	}
	for i := 0; i < 8; i++ {
		run := false
		m.Spawn(sim.TaskSpec{Comm: "hog", Nice: i % 3, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(700_000)
			}
			return sim.Sleep(300_000)
		})})
	}
	r, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	return pol, r, m.ScheduleHash()
}

// TestNativeLocksSameAsHelpers: without interleaving the JIT takes and
// releases locks in generated code (bpfvm.NativeState), with the same
// statistics, reports and schedule as the interpreter, which calls the
// helpers; with a lock-event observer it calls the helpers too.
func TestNativeLocksSameAsHelpers(t *testing.T) {
	cases := []struct {
		name   string
		obj    string
		params map[string]any
		opts   Options
		native bool // most lock operations are native on the JIT
		// before runs before the machine; aa's takes the lock once, so that
		// the first acquisition of the run is native, the second not
		before func(*BPFPolicy)
	}{
		{"eevdf", "eevdf", nil, Options{}, true, nil},
		{"ordered", "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(3)}, Options{}, true, nil},
		{"abba", "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(0)}, Options{}, true, nil},
		// AA: the second lock exits to the helper, which reports the first,
		// taken natively, with its site
		{"aa", "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(2)}, Options{NoVerify: true}, false, takeOnce("a")},
		{"budget-time", "eevdf", nil, Options{BudgetNs: 1e6}, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var obs []sim.Observer
			for _, observe := range []bool{false, true} {
				if observe {
					obs = []sim.Observer{&policyEvents{held: map[int]int{}, open: map[int]int{}}}
				}
				pj, rj, hj := nativeRun(t, tc.obj, tc.params, tc.opts, "jit", tc.before, obs...)
				pi, ri, hi := nativeRun(t, tc.obj, tc.params, tc.opts, "interp", tc.before, obs...)
				if hj != hi || !reflect.DeepEqual(rj.Ejection, ri.Ejection) {
					t.Errorf("observe %v: schedule %x vs %x, ejection %+v vs %+v", observe, hj, hi, rj.Ejection, ri.Ejection)
				}
				if lj, li := pj.LockReport(), pi.LockReport(); !reflect.DeepEqual(lj, li) || len(li) == 0 {
					t.Errorf("observe %v: locks\n%+v\n%+v", observe, lj, li)
				}
				if !reflect.DeepEqual(pj.Deadlocks, pi.Deadlocks) {
					t.Errorf("observe %v: deadlocks %q vs %q", observe, pj.Deadlocks, pi.Deadlocks)
				}
				n, all := pj.goLockOps, pi.goLockOps
				switch {
				case observe || !tc.native && tc.before == nil:
					if n != all {
						t.Errorf("observe %v: %d of %d lock operations called the helpers on the JIT, want all", observe, n, all)
					}
				case tc.native && n*10 > all, tc.before != nil && n != all-1:
					t.Errorf("%d of %d lock operations called the helpers on the JIT", n, all)
				}
				if tc.before != nil && !observe && (len(pj.Deadlocks) != 1 || !strings.Contains(pj.Deadlocks[0], "holds:\n    a, taken at ticklocks.bpf.c:93")) {
					t.Errorf("deadlock report %q", pj.Deadlocks)
				}
			}
		})
	}
}

// takeOnce takes and releases the global lock name once on CPU 0 through
// the helpers, so that the JIT's next acquisition of it is native.
func takeOnce(name string) func(*BPFPolicy) {
	return func(b *BPFPolicy) {
		for _, v := range b.inst.Vars {
			if v.Name != name {
				continue
			}
			addr, _ := b.inst.Maps[v.Map].ValueAddr(v.Offset)
			c := b.ctxs[0]
			if _, err := b.lockOp(c, addr, false); err != nil {
				panic(err)
			}
			if _, err := b.unlockOp(c, addr); err != nil {
				panic(err)
			}
			return
		}
		panic("no global " + name)
	}
}
