package eevdf_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// oneCPU is a single-CPU machine.
func oneCPU(dur uint64) sim.Params {
	return sim.Params{Topology: sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: 1, ThreadsPerCore: 1},
		HZ: 1000, ContextSwitch: 2000, IPI: 1000, Seed: 3, Duration: dur}
}

// cpuBound spawns a task that never sleeps.
func cpuBound(t testing.TB, m *sim.Machine, comm string, nice int) *sim.Task {
	t.Helper()
	p, err := m.Spawn(sim.TaskSpec{Comm: comm, Nice: nice, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
		return sim.Run(50_000_000)
	})})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sleeper spawns a task alternating random bursts and sleeps.
func sleeper(t testing.TB, m *sim.Machine, comm string, nice int, run, sleep uint64) *sim.Task {
	t.Helper()
	r := m.Rand(comm)
	on := false
	p, err := m.Spawn(sim.TaskSpec{Comm: comm, Nice: nice, Behavior: sim.BehaviorFunc(func(*sim.Machine, *sim.Task) sim.Action {
		on = !on
		if on {
			return sim.Run(1 + r.Uint64N(2*run))
		}
		return sim.Sleep(1 + r.Uint64N(2*sleep))
	})})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lagSampler checks, every period of simulated time, a runqueue's EEVDF
// state against the lag bound.
type lagView interface {
	// lags returns, for the entities on runqueue cpu, their current lag
	// V - v_i in virtual ns (curr's vruntime brought up to now) and weight.
	lags(cpu int) (pids []int32, lags []int64, weights []uint32)
}

// checkLagBound samples every period and records the largest real-time
// |lag_i| = |V - v_i| * w_i / 1024 seen, per task, on CPU 0.
func checkLagBound(m *sim.Machine, v lagView, period uint64) *lagStats {
	st := &lagStats{max: map[int32]float64{}}
	var tick func()
	tick = func() {
		pids, lags, ws := v.lags(0)
		for i, pid := range pids {
			real := math.Abs(float64(lags[i]) * float64(ws[i]) / 1024)
			if real > st.max[pid] {
				st.max[pid] = real
			}
			if real > st.worst {
				st.worst, st.worstPID, st.at = real, pid, m.Now()
			}
			st.samples++
		}
		m.After(period, tick)
	}
	m.After(period, tick)
	return st
}

type lagStats struct {
	max      map[int32]float64
	worst    float64
	worstPID int32
	at       uint64
	samples  int
}

func (s *lagStats) String() string {
	return fmt.Sprintf("max |lag| %.0f ns (pid %d at %d ns) over %d samples", s.worst, s.worstPID, s.at, s.samples)
}

// modelLags is lagView over the Go model.
type modelLags struct{ m *Model }

func (v modelLags) lags(cpu int) (pids []int32, lags []int64, ws []uint32) {
	rq := v.m.rqs[cpu]
	ents := append([]*entity(nil), rq.queued...)
	avg, load := rq.avgVruntime, rq.avgLoad
	var cv uint64
	if c := rq.curr; c != nil {
		cv = c.vruntime + calcDeltaFair(v.m.k.Now()-c.execStart, c.weight)
		avg += int64(cv-rq.zero) * int64(c.weight)
		load += int64(c.weight)
		ents = append(ents, c)
	}
	if load == 0 {
		return
	}
	V := float64(avg) / float64(load) // relative to rq.zero
	for _, e := range ents {
		ev := e.vruntime
		if e == rq.curr {
			ev = cv
		}
		pids = append(pids, e.pid)
		lags = append(lags, int64(V-float64(int64(ev-rq.zero))))
		ws = append(ws, e.weight)
	}
	return
}

// checkNoStarvation asserts that every task that became runnable ran and
// that no runnable-to-running delay exceeded bound, including tasks still
// waiting at the end.
func checkNoStarvation(t *testing.T, m *sim.Machine, bound uint64) (worst uint64) {
	t.Helper()
	for _, p := range m.Tasks() {
		if p.Stats.Switches == 0 && m.Now()-p.K.Scx.RunnableAt > bound {
			t.Errorf("%s[%d] never ran (runnable since %d ns)", p.Comm, p.PID, p.K.Scx.RunnableAt)
		}
		worst = max(worst, p.Stats.DelayMax)
		if p.Stats.DelayMax > bound {
			t.Errorf("%s[%d] waited %d ns to run (bound %d)", p.Comm, p.PID, p.Stats.DelayMax, bound)
		}
		if p.State() == sim.TaskRunnable {
			if w := m.Now() - p.K.Scx.RunnableAt; w > bound {
				t.Errorf("%s[%d] still waiting after %d ns (bound %d)", p.Comm, p.PID, w, bound)
			}
		}
	}
	return worst
}
