package eevdf_test

import (
	"math"
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// The Go model's own properties: the oracle must be right before the BPF
// program is compared with it.

func TestModelWeightRatio(t *testing.T) {
	mod := NewModel()
	m, err := sim.NewMachine(oneCPU(2e9), mod)
	if err != nil {
		t.Fatal(err)
	}
	a := cpuBound(t, m, "nice0", 0)
	b := cpuBound(t, m, "nice5", 5)
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

func TestModelLagBound(t *testing.T) {
	mod := NewModel()
	m, err := sim.NewMachine(oneCPU(1e9), mod)
	if err != nil {
		t.Fatal(err)
	}
	for i, nice := range []int{-5, 0, 0, 3, 7, 10} {
		cpuBound(t, m, "cpu"+string(rune('a'+i)), nice)
	}
	st := checkLagBound(m, modelLags{mod}, 37_000)
	r, _ := m.Run()
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	bound := float64(mod.baseSlice + mod.TickNs)
	if st.samples < 10000 || st.worst > bound {
		t.Errorf("%v; bound (max slice + tick) %.0f ns", st, bound)
	}
	t.Log(st)
}

// TestModelSavedLag: with tasks sleeping and waking, the lag saved at
// dequeue stays within fair.c's clamp and the running lag within the clamp
// plus a request.
func TestModelSavedLag(t *testing.T) {
	mod := NewModel()
	m, err := sim.NewMachine(oneCPU(1e9), mod)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*sim.Task
	for i, nice := range []int{-3, 0, 0, 5, 10} {
		ps = append(ps, sleeper(t, m, "s"+string(rune('a'+i)), nice, 2_000_000, 3_000_000))
	}
	ps = append(ps, cpuBound(t, m, "hog", 0))
	worst := 0.0
	var check func()
	check = func() {
		for _, p := range ps {
			e, ok := mod.state(p.PID)
			if !ok || e.state != seNone {
				continue
			}
			limit := float64(calcDeltaFair(max(2*e.slice, mod.TickNs), e.weight))
			if math.Abs(float64(e.vlag)) > limit {
				t.Errorf("%s: saved lag %d outside ±%.0f", p.Comm, e.vlag, limit)
			}
			worst = max(worst, math.Abs(float64(e.vlag))/limit)
		}
		m.After(50_000, check)
	}
	m.After(50_000, check)
	st := checkLagBound(m, modelLags{mod}, 41_000)
	r, _ := m.Run()
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	bound := float64(3*mod.baseSlice + mod.TickNs)
	if st.worst > bound {
		t.Errorf("%v; bound (2 slices clamp + slice + tick) %.0f ns", st, bound)
	}
	t.Logf("%v; saved lag up to %.2f of the clamp", st, worst)
}
