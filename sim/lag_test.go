package sim

import (
	"math"
	"testing"
)

// Under round-robin (FIFO with a 1 ms slice) two CPU-bound tasks of nice 0
// and nice 5 on one CPU each get half of it, while weighted processor
// sharing would give the nice-0 task 1024/1359 of it: its lag grows as
// T*(1024/1359 - 1/2).
func TestGPSLagWeighted(t *testing.T) {
	p := testParams(1)
	p.Duration = 2e9
	m := mustMachine(t, p, &FIFO{Slice: 1e6})
	a, _ := m.Spawn(TaskSpec{Comm: "n0", Nice: 0, Behavior: loop(1e9)})
	b, _ := m.Spawn(TaskSpec{Comm: "n5", Nice: 5, Behavior: loop(1e9)})
	m.Run()
	want := 2e9 * (1024.0/1359.0 - 0.5)
	if got := m.Lag(a); math.Abs(got-want)/want > 0.01 {
		t.Errorf("lag of the nice-0 task %.0f ns, want %.0f", got, want)
	}
	if got := m.Lag(b); math.Abs(got+want)/want > 0.01 {
		t.Errorf("lag of the nice-5 task %.0f ns, want %.0f", got, -want)
	}
}

// With fewer runnable tasks than CPUs, each task's ideal rate is capped at
// one CPU, so a task that always runs has no lag; with three equal tasks on
// two CPUs under round robin, lag stays within a slice or two.
func TestGPSLagCappedAndEqual(t *testing.T) {
	p := testParams(2)
	m := mustMachine(t, p, &FIFO{Slice: 1e6})
	solo, _ := m.Spawn(TaskSpec{Comm: "solo", Affinity: []int{0}, Behavior: loop(1e9)})
	m.Run()
	if l := math.Abs(m.Lag(solo)); l > 1 {
		t.Errorf("a task alone on a 2-CPU machine has lag %.0f ns", l)
	}
	m = mustMachine(t, p, &FIFO{Slice: 1e6})
	for i := 0; i < 3; i++ {
		m.Spawn(TaskSpec{Comm: "eq", Behavior: loop(1e9)})
	}
	r, _ := m.Run()
	if r.MaxLagNs > 3e6 || r.MaxLagNs < 1e5 {
		t.Errorf("max lag of three equal tasks on two CPUs with 1 ms slices: %.0f ns", r.MaxLagNs)
	}
}
