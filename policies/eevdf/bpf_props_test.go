package eevdf_test

import (
	"math"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// Properties of the BPF policy itself, read through the simulator's
// accounting and the policy's exported maps.

// TestEEVDFWeightRatio: two CPU-bound tasks of nice 0 and nice 5 on one
// CPU receive CPU time in the ratio of their weights, 1024:335, within 1%.
func TestEEVDFWeightRatio(t *testing.T) {
	p := oneCPU(2e9)
	pol := loadBPF(t, 1, 1e9/uint64(p.HZ))
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	a := cpuBound(t, m, "nice0", 0)
	b := cpuBound(t, m, "nice5", 5)
	// the exported state at the end of the run, before the unload's
	// ops.exit_task calls empty the tasks map (sim/disable.go)
	m.RunUntil(p.Duration)
	v := newBPFView(t, m, pol)
	for _, task := range []*sim.Task{a, b} {
		ts, ok := v.task(task.PID)
		if !ok || ts.Weight != task.Weight || ts.CPU != 0 {
			t.Errorf("%s: exported state %+v, ok %v; want weight %d on CPU 0", task.Comm, ts, ok, task.Weight)
		}
	}
	r, _ := m.Run()
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	got := float64(a.Stats.Runtime) / float64(b.Stats.Runtime)
	want := 1024.0 / 335
	if math.Abs(got/want-1) > 0.01 {
		t.Errorf("CPU time ratio %.4f (%d / %d ns), want %.4f within 1%%", got, a.Stats.Runtime, b.Stats.Runtime, want)
	}
	t.Logf("ratio %.4f, want %.4f; %d switches", got, want, r.Switches)
}

// TestEEVDFLagBound: on one CPU with CPU-bound tasks of several weights,
// every task's lag, V - v_i from the exported vruntimes and the
// runqueue's sums, in real time (times w_i / 1024), stays within the bound
// EEVDF gives a steady system, -r_max < lag < max(r_max, q) (Stoica and
// Abdel-Wahab; fair.c quotes it above update_entity_lag()), widened by a
// tick because a request ends at the first tick after its deadline:
// |lag| <= max slice + one tick. The exported lag of each task (its lag at
// its last update) stays within it too.
func TestEEVDFLagBound(t *testing.T) {
	p := oneCPU(1e9)
	tick := 1e9 / uint64(p.HZ)
	pol := loadBPF(t, 1, tick)
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*sim.Task
	for i, nice := range []int{-5, 0, 0, 3, 7, 10} {
		ps = append(ps, cpuBound(t, m, "cpu"+string(rune('a'+i)), nice))
	}
	v := newBPFView(t, m, pol)
	st := checkLagBound(m, v, 37_000)
	slice := 700_000 * uint64(1) // base slice, scaled by 1 + ilog2(1)
	bound := float64(slice + tick)
	exported := 0.0
	var check func()
	check = func() {
		for _, p := range ps {
			ts, ok := v.task(p.PID)
			if !ok {
				t.Fatalf("%s: not in the tasks map", p.Comm)
			}
			exported = max(exported, math.Abs(float64(ts.Lag)*float64(ts.Weight)/1024))
		}
		m.After(53_000, check)
	}
	m.After(53_000, check)
	r, _ := m.Run()
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	if st.samples < 10000 || st.worst > bound {
		t.Errorf("%v; bound (max slice + tick) %.0f ns", st, bound)
	}
	if exported > bound {
		t.Errorf("exported lag up to %.0f ns; bound %.0f ns", exported, bound)
	}
	if s := readStats(t, pol); s["tick_preempts"] == 0 || s["moves"] == 0 {
		t.Errorf("stats %v: requests never ended at a tick, or no tree moves", s)
	}
	t.Logf("%v; exported lag up to %.0f ns; bound %.0f ns", st, exported, bound)
}

// TestEEVDFSavedLag: with tasks sleeping and waking on one CPU, the lag
// saved at dequeue (the exported lag of a sleeping task) stays within
// fair.c's clamp, calc_delta_fair(max(2 * slice, TICK_NSEC)), and a
// running task's lag within the clamp plus a request and a tick.
func TestEEVDFSavedLag(t *testing.T) {
	p := oneCPU(1e9)
	tick := 1e9 / uint64(p.HZ)
	pol := loadBPF(t, 1, tick)
	m, err := sim.NewMachine(p, pol)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*sim.Task
	for i, nice := range []int{-3, 0, 0, 5, 10} {
		ps = append(ps, sleeper(t, m, "s"+string(rune('a'+i)), nice, 2_000_000, 3_000_000))
	}
	ps = append(ps, cpuBound(t, m, "hog", 0))
	v := newBPFView(t, m, pol)
	slice := uint64(700_000)
	worst, sleeping := 0.0, 0
	var check func()
	check = func() {
		for _, p := range ps {
			if p.State() != sim.TaskSleeping {
				continue
			}
			ts, ok := v.task(p.PID)
			if !ok {
				continue
			}
			sleeping++
			limit := float64(calcDeltaFair(max(2*slice, tick), ts.Weight))
			if math.Abs(float64(ts.Lag)) > limit {
				t.Errorf("%s: saved lag %d outside ±%.0f", p.Comm, ts.Lag, limit)
			}
			worst = max(worst, math.Abs(float64(ts.Lag))/limit)
		}
		m.After(50_000, check)
	}
	m.After(50_000, check)
	st := checkLagBound(m, v, 41_000)
	r, _ := m.Run()
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	if bound := float64(3*slice + tick); st.worst > bound {
		t.Errorf("%v; bound (2 slices clamp + slice + tick) %.0f ns", st, bound)
	}
	if sleeping < 1000 || worst == 0 {
		t.Errorf("%d samples of sleeping tasks, worst saved lag %.2f of the clamp", sleeping, worst)
	}
	t.Logf("%v; saved lag up to %.2f of the clamp", st, worst)
}
