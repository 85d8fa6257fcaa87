package policies

import (
	"regexp"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// TestOutOfBoundsStoreEjects runs a policy that stores outside its memory
// (testdata/oob.bpf.c, unverified): the fault report names the program,
// the instruction and the C source line, and the run finishes under the
// fallback policy.
func TestOutOfBoundsStoreEjects(t *testing.T) {
	// The verifier rejects the program, naming the bad store.
	if _, err := Open("testdata/oob.bpf.o", Options{NumCPUs: 2}); err == nil ||
		!strings.Contains(err.Error(), "oob_enqueue+12 (./oob.bpf.c:21)") || !strings.Contains(err.Error(), "invalid mem access") {
		t.Errorf("verifier verdict on oob.bpf.o: %v", err)
	}
	pol, err := Open("testdata/oob.bpf.o", Options{NumCPUs: 2, NoVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	p := sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Seed: 1, Duration: 500e6}
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		run := false
		m.Spawn(sim.TaskSpec{Comm: "t", Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
			run = !run
			if run {
				return sim.Run(300_000)
			}
			return sim.Sleep(200_000)
		})})
	}
	r, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	e := r.Ejection
	if e == nil {
		t.Fatal("the policy was not ejected")
	}
	// e.g. "oob: ops.enqueue: BPF fault at oob_enqueue+13 (./oob.bpf.c:21): *wild = ...: store of 8 bytes at 0xdead0033 ..."
	re := regexp.MustCompile(`ops\.enqueue: BPF fault at oob_enqueue\+\d+ \(\S*oob\.bpf\.c:21\): .*\*wild = nr_enqueued;.*0xdead00`)
	if !re.MatchString(e.Msg) || e.Reason != "BPF program fault" || e.Kind != sim.ExitErrorBPF {
		t.Errorf("ejection %+v\ndoes not match %s", e, re)
	}
	if e.AtNs == 0 || e.AtNs > 100e6 {
		t.Errorf("ejected at %d ns", e.AtNs)
	}
	// The run went on: all tasks kept running after the ejection.
	var total uint64
	for _, tr := range r.PerTask {
		total += tr.RuntimeNs
	}
	if total < 500e6 {
		t.Errorf("tasks ran %d ns in total: the run did not continue under the fallback", total)
	}
	if !strings.Contains(pol.Fault().Error(), "oob.bpf.c:21") {
		t.Errorf("Fault() = %v", pol.Fault())
	}
}
