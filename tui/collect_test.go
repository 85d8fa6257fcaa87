package tui

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// A collector fed by hand: timeline buckets take the kind that filled
// most of them, sched cost and lock spins show, rates and latencies add up.
func TestCollector(t *testing.T) {
	m, err := sim.NewMachine(sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 2, ThreadsPerCore: 1},
		HZ: 1000, Seed: 1, Duration: 1e9}, &sim.FIFO{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(1000, 10_000) // 1 µs columns, a sample every 10 µs
	c.Attach(m, 2)
	a := &sim.Task{PID: 1, Comm: "a-0", Group: 0}
	b := &sim.Task{PID: 2, Comm: "b-0", Group: 1}

	// CPU 0: a runs 0-2.6 µs, idle to 3.2 µs, b from then on; a callback
	// at 5 µs charges 1.5 µs of scheduler time.
	c.Waking(0, a, 1)
	c.Switch(400, 0, nil, a) // woke at 0: latency 400
	c.Switch(2600, 0, a, nil)
	c.Switch(3200, 0, nil, b)
	c.CallbackEnd(5000, 0, sim.CbEnqueue, b, sim.CallbackEnd{Ns: 1500})
	// CPU 1: spins on a lock 1-4.5 µs, twice at the same site.
	c.Policy(1000, 1, sim.PolicyEvent{Kind: sim.PolicyLockWait, Name: "rq", Site: "x.bpf.c:10"})
	c.Policy(4500, 1, sim.PolicyEvent{Kind: sim.PolicyLockAcquire, Name: "rq", Site: "x.bpf.c:10"})
	c.Policy(6000, 1, sim.PolicyEvent{Kind: sim.PolicyLockWait, Name: "rq", Site: "x.bpf.c:10"})
	c.Policy(6500, 1, sim.PolicyEvent{Kind: sim.PolicyLockAcquire, Name: "rq", Site: "x.bpf.c:10"})
	c.Policy(7000, 1, sim.PolicyEvent{Kind: sim.PolicyPrintk, Text: "hello"})
	c.Request(7000, 1, 123_000)
	c.Migrate(7000, b, 1, 0)
	c.Ejected(8000, &sim.Ejection{At: 8000, Policy: "p", Info: sim.ExitInfo{Reason: "scx_bpf_error", Msg: "bad dsq"}})
	c.Sync(9000)

	tl := func(cpu int) string {
		ct := &c.cpus[cpu]
		var b strings.Builder
		for i := uint64(0); i < ct.closed; i++ {
			b.WriteRune(kindRune(int(ct.ring[i%timelineLen])))
		}
		return b.String()
	}
	// CPU 0, per µs: [0,1) idle .4 a .6: A; A; [2,3) a .6 idle .4: A;
	// [3,4) idle .2 b .8: B; B; [5,6) sched; [6,7) sched .5 b .5 (a tie
	// goes to the lower kind: sched); B; B.
	if got, want := tl(0), "AAABB**BB"; got != want {
		t.Errorf("CPU 0 timeline %q, want %q", got, want)
	}
	// CPU 1: idle, spin x3, [4,5) spin .5 idle .5 (tie: idle), idle,
	// [6,7) spin .5 idle .5, idle, idle.
	if got, want := tl(1), ".!!!....."; got != want {
		t.Errorf("CPU 1 timeline %q, want %q", got, want)
	}
	if len(c.locks) != 1 || c.locks[0].Waits != 2 || c.locks[0].WaitTotal != 4000 || c.locks[0].WaitMax != 3500 {
		t.Errorf("lock stats %+v", c.locks)
	}
	if c.wake.n != 1 || c.wake.max != 400 || c.wake.log2()[9] != 1 { // 256 <= 400 < 512
		t.Errorf("wakeup latency: %d samples, max %d", c.wake.n, c.wake.max)
	}
	if c.requests[1].n != 1 || c.requests[0].n != 0 {
		t.Error("request latency not recorded for group 1")
	}
	if c.nEvents != 2 || c.events[0].Text != "hello" || c.events[0].CPU != 1 ||
		c.events[1].Kind != "ejected" || c.events[1].Text != "p ejected: scx_bpf_error: bad dsq" || c.ejection != c.events[1].Text {
		t.Errorf("events %+v, ejection %q", c.events[:c.nEvents], c.ejection)
	}
	if c.switches != 3 || c.migrations != 1 || c.schedNs != 1500 {
		t.Errorf("switches %d migrations %d sched %d", c.switches, c.migrations, c.schedNs)
	}
	// A long stretch fills the buckets at once, the ring keeps the last.
	c.Sync(2_000_000)
	for cpu, want := range []uint8{kindGroup + 1, kindIdle} {
		ct := &c.cpus[cpu]
		if ct.closed != 2000 {
			t.Errorf("CPU %d: %d buckets closed at 2 ms, want 2000", cpu, ct.closed)
		}
		for i, k := range ct.ring {
			if k != want {
				t.Fatalf("CPU %d: ring[%d] = %d, want %d", cpu, i, k, want)
			}
		}
	}
	sn := Take(&Session{scn: &sim.Scenario{Machine: m}, col: c, at: 2_000_000, groups: []string{"a", "b"}}, need{})
	if sn.Ejection != "p ejected: scx_bpf_error: bad dsq" || len(sn.Events) != 2 {
		t.Errorf("snapshot: ejection %q, %d events", sn.Ejection, len(sn.Events))
	}
	if len(sn.Timeline[0]) != timelineLen || sn.Samples[len(sn.Samples)-1].At != 2_000_000 {
		t.Errorf("snapshot: %d timeline buckets, last sample at %d", len(sn.Timeline[0]), sn.Samples[len(sn.Samples)-1].At)
	}
	// Busy: CPU 0 ran a 2.2 µs and b 5.8 µs to 9 µs.
	if busy := c.cpus[0].busy + (2_000_000 - c.cpus[0].busySince); busy != 2_000_000-400-600 {
		t.Errorf("CPU 0 busy %d ns, want %d", busy, 2_000_000-400-600)
	}
	if sn.Util < 0.49 || sn.Util > 0.5 {
		t.Errorf("utilisation %.4f, want (2 ms - 1 µs) / 4 ms", sn.Util)
	}
}
