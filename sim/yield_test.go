package sim

import "testing"

// TestYield: a task that yields (sched_yield) stays runnable with no slice:
// the CPU enters the scheduler at once and ops.dispatch sees it as prev; a
// waiting task runs next, the yielder goes back through ops.enqueue; when
// dispatch gives prev a new slice instead (scx_bpf_task_set_slice, as
// scx_rustland does for its scheduler task while it has work) it keeps the
// CPU without an enqueue.
func TestYield(t *testing.T) {
	run := func(refill bool) (*testPolicy, []uint64) {
		pol := newTestPolicy(CbEnqueue | CbDispatch)
		pol.init = func(k *Kernel) error { k.CreateDSQ(1, -1); return nil }
		pol.enqueue = func(p *Task, fl uint64) { pol.k.DSQInsert(p, 1, 5e6, fl) }
		var prevs []uint64
		pol.dispatch = func(cpu int32, prev *Task) {
			if prev != nil && prev.Comm == "yielder" {
				prevs = append(prevs, pol.k.Now())
				if refill {
					prev.K.Scx.Slice = 5e6
					return
				}
			}
			pol.k.DSQMoveToLocal(1)
		}
		p := testParams(1)
		p.Duration = 10e6
		m := mustMachine(t, p, pol)
		n := 0
		spawn(t, m, "yielder", BehaviorFunc(func(*Machine, *Task) Action {
			n++
			if n%2 == 1 {
				return Run(1e5)
			}
			return Yield()
		}))
		spawn(t, m, "other", loop(1e9))
		m.Run()
		return pol, prevs
	}
	pol, prevs := run(false)
	if len(prevs) == 0 || prevs[0] != 1e5 {
		t.Fatalf("ops.dispatch with the yielder as prev at %v, want first at 100us", prevs)
	}
	if len(pol.runningLog) < 2 || pol.runningLog[0] != "yielder" || pol.runningLog[1] != "other" {
		t.Errorf("switched in: %v, want the other task after the yield", pol.runningLog)
	}
	pol, prevs = run(true)
	// a refilled slice keeps it: it yields every 100us (and 1ns) and
	// "other" never runs
	if len(prevs) < 50 {
		t.Errorf("%d yields with a refilled slice, want ~99", len(prevs))
	}
	for _, c := range pol.runningLog {
		if c != "yielder" {
			t.Fatalf("switched in %v: the refilled yielder should keep the CPU", pol.runningLog)
		}
	}
}
