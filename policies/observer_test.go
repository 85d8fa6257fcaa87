package policies

import (
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// policyEvents counts what the BPF side reports through sim.Observer.
type policyEvents struct {
	sim.BaseObserver
	insns               uint64
	held                map[int]int // locks held per CPU
	acq, rel, wait      int
	negative, cbUnclean int
	open                map[int]int
}

func (p *policyEvents) CallbackStart(at uint64, cpu int, cb sim.Callback, t *sim.Task) {
	p.open[cpu]++
}

func (p *policyEvents) CallbackEnd(at uint64, cpu int, cb sim.Callback, t *sim.Task, e sim.CallbackEnd) {
	p.insns += e.Insns
	p.open[cpu]--
	if p.open[cpu] == 0 && p.held[cpu] != 0 {
		p.cbUnclean++ // a callback returned with a lock held
	}
}

func (p *policyEvents) Policy(at uint64, cpu int, ev sim.PolicyEvent) {
	switch ev.Kind {
	case sim.PolicyLockAcquire:
		p.acq++
		p.held[cpu]++
	case sim.PolicyLockRelease:
		p.rel++
		p.held[cpu]--
		if p.held[cpu] < 0 {
			p.negative++
		}
	case sim.PolicyLockWait:
		p.wait++
	}
}

func TestObserverSeesBPFEvents(t *testing.T) {
	ev := &policyEvents{held: map[int]int{}, open: map[int]int{}}
	pol, r := lockRun(t, "testdata/locks/ticklocks.bpf.o", map[string]any{"mode": uint32(3)}, Options{}, 1, 50e6, ev)
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	var insns uint64
	for _, n := range pol.Insns {
		insns += n
	}
	if ev.insns != insns || insns == 0 {
		t.Errorf("observed %d instructions in callbacks, the policy counted %d", ev.insns, insns)
	}
	var acq, contended uint64
	for _, l := range pol.LockReport() {
		acq += l.Acquisitions
		contended += l.Contended
	}
	if uint64(ev.acq) != acq || ev.acq == 0 {
		t.Errorf("observed %d acquisitions, lock stats %d", ev.acq, acq)
	}
	if uint64(ev.wait) != contended || ev.wait == 0 {
		t.Errorf("observed %d waits, %d contended acquisitions", ev.wait, contended)
	}
	if ev.negative != 0 || ev.cbUnclean != 0 || ev.rel != ev.acq {
		t.Errorf("acquire %d release %d, %d releases of unheld locks, %d callbacks ended holding a lock", ev.acq, ev.rel, ev.negative, ev.cbUnclean)
	}
}
