package eevdf_test

import (
	"testing"

	"github.com/schedsim/schedsim/sim"
)

// The machine's lag metric (sim/lag.go) against EEVDF's lag bound: two
// CPU-bound tasks of nice 0 and nice 5 on one CPU. EEVDF keeps each within
// about one request of its weighted share (the base slice, 0.7 ms, plus a
// tick and the switch costs), whatever the length of the run; round robin
// (the FIFO) would let the gap grow as T*(1024/1359 - 1/2).
func TestLagMetricBoundedUnderEEVDF(t *testing.T) {
	var lags []float64
	for _, dur := range []uint64{1e9, 4e9} {
		m, err := sim.NewMachine(oneCPU(dur), loadBPF(t, 1, 1e6))
		if err != nil {
			t.Fatal(err)
		}
		cpuBound(t, m, "n0", 0)
		cpuBound(t, m, "n5", 5)
		r, err := m.Run()
		if err != nil {
			t.Fatal(err)
		}
		if r.MaxLagNs != r.MaxRqLagNs {
			t.Errorf("one CPU: machine lag %.0f and runqueue lag %.0f differ", r.MaxLagNs, r.MaxRqLagNs)
		}
		if r.MaxLagNs > 2e6 {
			t.Errorf("%d ns: max lag %.0f ns, beyond EEVDF's bound", dur, r.MaxLagNs)
		}
		lags = append(lags, r.MaxLagNs)
	}
	if lags[1] > lags[0]*1.5 {
		t.Errorf("max lag grew from %.0f to %.0f ns with the run's length", lags[0], lags[1])
	}
}
