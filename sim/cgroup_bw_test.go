package sim

import "testing"

// bwPolicy records ops.cgroup_set_bandwidth calls.
type bwPolicy struct {
	FIFO
	calls [][3]uint64
}

func (p *bwPolicy) Ops() Ops {
	o := p.FIFO.Ops()
	o.Implements |= CbCgroupSetBandwidth
	return o
}

func (*bwPolicy) CgroupInit(*Cgroup) int32                     { return 0 }
func (*bwPolicy) CgroupExit(*Cgroup)                           {}
func (*bwPolicy) CgroupPrepMove(*Task, *Cgroup, *Cgroup) int32 { return 0 }
func (*bwPolicy) CgroupMove(*Task, *Cgroup, *Cgroup)           {}
func (*bwPolicy) CgroupCancelMove(*Task, *Cgroup, *Cgroup)     {}
func (*bwPolicy) CgroupSetWeight(*Cgroup, uint32)              {}
func (p *bwPolicy) CgroupSetBandwidth(cg *Cgroup, period, quota, burst uint64) {
	p.calls = append(p.calls, [3]uint64{period, quota, burst})
}

func TestSetCgroupBandwidth(t *testing.T) {
	pol := &bwPolicy{}
	p := testParams(1)
	p.Cgroups = []CgroupSpec{{Path: "/a", QuotaUs: 50000, PeriodUs: 100000}}
	m := mustMachine(t, p, pol)
	if len(pol.calls) != 0 {
		t.Fatalf("ops.cgroup_set_bandwidth called at start: %v (the initial cpu.max goes to cgroup_init)", pol.calls)
	}
	for _, c := range []struct {
		quota, period, burst uint64
		ok                   bool
	}{
		{50000, 100000, 0, true}, // unchanged: no call
		{20000, 100000, 5000, true},
		{0, 100000, 0, true}, // "max"
		{500, 100000, 0, false},
		{20000, 10, 0, false},
		{0, 100000, 10, false},
	} {
		if err := m.SetCgroupBandwidth("/a", c.quota, c.period, c.burst); (err == nil) != c.ok {
			t.Errorf("SetCgroupBandwidth(%d, %d, %d): %v", c.quota, c.period, c.burst, err)
		}
	}
	want := [][3]uint64{{100000, 20000, 5000}, {100000, ^uint64(0), 0}}
	if len(pol.calls) != len(want) || pol.calls[0] != want[0] || pol.calls[1] != want[1] {
		t.Errorf("ops.cgroup_set_bandwidth calls %v, want %v", pol.calls, want)
	}
	if err := m.SetCgroupBandwidth("/nope", 0, 100000, 0); err == nil {
		t.Error("a missing cgroup was accepted")
	}
}
