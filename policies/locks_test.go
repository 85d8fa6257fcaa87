package policies

import (
	"regexp"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// lockRun runs a lock test policy on a 4-CPU machine with interleaving, with
// hogs on every CPU so that ticks fire everywhere at once.
func lockRun(t *testing.T, obj string, params map[string]any, opts Options, seed uint64, dur uint64, obs ...sim.Observer) (*BPFPolicy, *sim.Result) {
	t.Helper()
	opts.NumCPUs = 4
	opts.Params = params
	opts.Seed = seed
	if opts.InsnCostPs == 0 {
		opts.InsnCostPs = 250
	}
	pol, err := Open(obj, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pol.Close() })
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 4, ThreadsPerCore: 1},
		HZ: 1000, Seed: seed, Duration: dur, Interleave: true, ContextSwitch: 1000, IPI: 500, Observers: obs}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		run := false
		m.Spawn(sim.TaskSpec{Comm: "hog", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(3_000_000)
			}
			return sim.Sleep(50_000)
		})})
	}
	r, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	return pol, r
}

func TestABBAPlainSpinLockEjects(t *testing.T) {
	pol, r := lockRun(t, "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(0)}, Options{}, 1, 50e6)
	if len(pol.Warnings) == 0 || !strings.Contains(pol.Warnings[0].String(), "A") {
		t.Errorf("no lock-order warning at load: %v", pol.Warnings)
	}
	e := r.Ejection
	if e == nil || e.Reason != "BPF deadlock" {
		t.Fatalf("ejection %+v", e)
	}
	// Both CPUs, both callbacks, both locks with the source lines.
	for _, re := range []string{
		`possible deadlock \(ABBA\) detected`,
		`cpu\d \(ops\.tick, ticklocks_tick\) holds:\s+a, taken at ticklocks\.bpf\.c:\d+\s+and waits for b( at ticklocks\.bpf\.c:\d+)?, held by cpu\d`,
		`cpu\d \(ops\.tick, ticklocks_tick\) holds:\s+b, taken at ticklocks\.bpf\.c:\d+\s+and waits for a( at ticklocks\.bpf\.c:\d+)?, held by cpu\d`,
	} {
		if !regexp.MustCompile(re).MatchString(e.Msg) {
			t.Errorf("report lacks %s:\n%s", re, e.Msg)
		}
	}
	if r.PerTask[0].RuntimeNs < 20e6 {
		t.Errorf("the run did not go on after the ejection")
	}
}

func TestABBAResilientLockReturnsEDEADLK(t *testing.T) {
	pol, r := lockRun(t, "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(0), "resilient": uint32(1)}, Options{}, 1, 50e6)
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	if n := globalU64(t, pol, "edeadlk"); n == 0 {
		t.Error("no -EDEADLK seen by the program")
	}
	if n := globalU64(t, pol, "taken"); n == 0 {
		t.Error("the program never got both locks")
	}
	if len(pol.Deadlocks) == 0 || !strings.Contains(pol.Deadlocks[0], "ABBA") {
		t.Errorf("deadlock reports: %v", pol.Deadlocks)
	}
}

func TestThreeCPUCycle(t *testing.T) {
	_, r := lockRun(t, "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(1)}, Options{}, 1, 50e6)
	e := r.Ejection
	if e == nil || !strings.Contains(e.Msg, "possible deadlock (3-CPU cycle) detected") {
		t.Fatalf("ejection %+v", e)
	}
	if n := strings.Count(e.Msg, "and waits for"); n != 3 {
		t.Errorf("%d waits in the report:\n%s", n, e.Msg)
	}
}

func TestAADetectedAtRunTime(t *testing.T) {
	if _, err := Open("testdata/locks/ticklocks.bpf.o", Options{NumCPUs: 4, Params: map[string]any{"mode": uint32(2)}}); err == nil ||
		!strings.Contains(err.Error(), "AA deadlock") {
		t.Errorf("verifier verdict on taking the same lock twice: %v", err)
	}
	_, r := lockRun(t, "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(2)}, Options{NoVerify: true}, 1, 20e6)
	e := r.Ejection
	if e == nil || !strings.Contains(e.Msg, "possible deadlock (AA) detected") || !strings.Contains(e.Msg, "waits for a at ticklocks.bpf.c") {
		t.Fatalf("ejection %+v", e)
	}
}

func TestOrderedLocksRunClean(t *testing.T) {
	pol, r := lockRun(t, "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(3)}, Options{}, 1, 100e6)
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	if len(pol.Warnings) != 0 {
		t.Errorf("warnings for a correct lock order: %v", pol.Warnings)
	}
	locks := pol.LockReport()
	if len(locks) != 2 || locks[0].Contended == 0 || locks[0].Acquisitions < 100 || locks[0].WaitMaxNs == 0 {
		t.Errorf("lock stats %+v", locks)
	}
	if !strings.HasPrefix(locks[0].Site, "ticklocks.bpf.c:") {
		t.Errorf("site %q", locks[0].Site)
	}
	x := r.Extra
	if _, ok := x["locks"]; !ok {
		t.Errorf("result has no lock statistics: %v", x)
	}
}

func TestInterleavedRunIsDeterministic(t *testing.T) {
	_, a := lockRun(t, "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(3)}, Options{Quantum: 8}, 4, 60e6)
	_, b := lockRun(t, "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(3)}, Options{Quantum: 8}, 4, 60e6)
	if a.ScheduleHash != b.ScheduleHash {
		t.Errorf("same seed: %s vs %s", a.ScheduleHash, b.ScheduleHash)
	}
}
