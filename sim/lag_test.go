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
	// one CPU: its runqueue is the machine
	if got := m.RqLag(a); math.Abs(got-want)/want > 0.01 {
		t.Errorf("runqueue lag of the nice-0 task %.0f ns, want %.0f", got, want)
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

// Two equal CPU-bound tasks alternating in 20 ms slices on one CPU (no
// costs): the one running gains 10 ms on its ideal per slice, so lag swings
// between -10 ms and +10 ms: max |lag| is exactly slice/2. After a warmup
// ending 5 ms into a slice, lags restart from 0 there and swing between
// -7.5 ms and +2.5 ms (the runner) and -2.5 ms and +7.5 ms (the other):
// the window's max |lag| is 7.5 ms.
func TestLagClosedFormSlices(t *testing.T) {
	for _, c := range []struct {
		warmup uint64
		want   float64
	}{{0, 10e6}, {105e6, 7.5e6}} {
		p := testParams(1)
		p.Warmup = c.warmup
		m := mustMachine(t, p, &FIFO{Slice: 20e6})
		m.Spawn(TaskSpec{Comm: "a", Behavior: loop(1e9)})
		m.Spawn(TaskSpec{Comm: "b", Behavior: loop(1e9)})
		r, _ := m.Run()
		if math.Abs(r.MaxLagNs-c.want) > 1 || math.Abs(r.MaxRqLagNs-c.want) > 1 {
			t.Errorf("warmup %d: max lag %.0f, runqueue %.0f; want %.0f", c.warmup, r.MaxLagNs, r.MaxRqLagNs, c.want)
		}
		if c.warmup > 0 && r.WindowNs != p.Duration-c.warmup {
			t.Errorf("window %d ns, want %d", r.WindowNs, p.Duration-c.warmup)
		}
	}
}

// Affinity: a and b pinned to CPU 0, c pinned to CPU 1. What each could
// have had is 1/2, 1/2 and 1 (sharing the machine while ignoring affinity
// would say 2/3 each, and c's "lag" would grow as -T/3). Round robin with
// 1 ms slices gives exactly that: lag stays within slice/2.
func TestLagAffinityAware(t *testing.T) {
	p := testParams(2)
	m := mustMachine(t, p, &FIFO{Slice: 1e6})
	m.Spawn(TaskSpec{Comm: "a", Affinity: []int{0}, Behavior: loop(1e9)})
	m.Spawn(TaskSpec{Comm: "b", Affinity: []int{0}, Behavior: loop(1e9)})
	c, _ := m.Spawn(TaskSpec{Comm: "c", Affinity: []int{1}, Behavior: loop(1e9)})
	r, _ := m.Run()
	if r.MaxLagNs > 0.5e6+1 || r.MaxLagNs < 0.5e6-1 {
		t.Errorf("max lag %.0f ns, want 500000 (slice/2)", r.MaxLagNs)
	}
	if l := m.Lag(c); math.Abs(l) > 1 {
		t.Errorf("c's lag %.0f ns, want 0", l)
	}
}

// gpsRates runs the decomposition on groups given as (mask, tasks by nice).
func gpsRates(cpus int, groups []struct {
	cpus []int
	nice map[int]int
}) []*gpsGroup {
	var g gps
	g.init(cpus)
	for i, gs := range groups {
		gr := &gpsGroup{}
		for _, c := range gs.cpus {
			gr.mask.Set(c)
		}
		gr.ncpu = len(gs.cpus)
		for n, k := range gs.nice {
			gr.nRun[n+20] += k
			gr.n += k
			gr.lv |= 1 << (n + 20)
		}
		g.groups = append(g.groups, gr)
		g.active = append(g.active, i)
	}
	g.recompute()
	return g.groups
}

type gpsCase = struct {
	cpus []int
	nice map[int]int
}

// The decomposition against allocations worked out by hand.
func TestGPSDecompositionClosedForms(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	// {0}: 2 tasks, {0,1}: 1 task -> 1/2, 1/2 and 1
	gs := gpsRates(2, []gpsCase{{[]int{0}, map[int]int{0: 2}}, {[]int{0, 1}, map[int]int{0: 1}}})
	if !near(gs[0].rate[20], 0.5) || !near(gs[1].rate[20], 1) {
		t.Errorf("pinned pair + free task: rates %g, %g; want 0.5, 1", gs[0].rate[20], gs[1].rate[20])
	}
	// one CPU, nice 0 and nice 5: 1024/1359 and 335/1359
	gs = gpsRates(1, []gpsCase{{[]int{0}, map[int]int{0: 1, 5: 1}}})
	if !near(gs[0].rate[20], 1024.0/1359) || !near(gs[0].rate[25], 335.0/1359) {
		t.Errorf("weighted: %g %g", gs[0].rate[20], gs[0].rate[25])
	}
	// {0,1}: 4 tasks, {2,3}: 1, all: 1 -> 1/2 x4, then 1 and 1
	gs = gpsRates(4, []gpsCase{{[]int{0, 1}, map[int]int{0: 4}}, {[]int{2, 3}, map[int]int{0: 1}}, {[]int{0, 1, 2, 3}, map[int]int{0: 1}}})
	if !near(gs[0].rate[20], 0.5) || !near(gs[1].rate[20], 1) || !near(gs[2].rate[20], 1) {
		t.Errorf("nested: %g %g %g", gs[0].rate[20], gs[1].rate[20], gs[2].rate[20])
	}
	// a heavy task capped at one CPU: 2 CPUs, nice -20 and two nice 0:
	// the heavy one gets 1, the others share the other CPU
	gs = gpsRates(2, []gpsCase{{[]int{0, 1}, map[int]int{-20: 1, 0: 2}}})
	if !near(gs[0].rate[0], 1) || !near(gs[0].rate[20], 0.5) {
		t.Errorf("capped: %g %g", gs[0].rate[0], gs[0].rate[20])
	}
	// more groups than gpsExactGroups, laminar: CPU i holds i+1 pinned
	// tasks (i = 0..7) and one task may run anywhere. Bottlenecks are
	// CPUs 7, 6, ..., 1 in turn (rates 1/8 ... 1/2); the free task then
	// shares CPU 0 with its pinned task: 1/2 each.
	var cs []gpsCase
	all := []int{}
	for i := 0; i < 8; i++ {
		cs = append(cs, gpsCase{[]int{i}, map[int]int{0: i + 1}})
		all = append(all, i)
	}
	cs = append(cs, gpsCase{all, map[int]int{0: 1}})
	gs = gpsRates(8, cs)
	for i := 0; i < 8; i++ {
		want := 1 / float64(i+1)
		if i == 0 {
			want = 0.5
		}
		if !near(gs[i].rate[20], want) {
			t.Errorf("laminar: CPU %d tasks at %g, want %g", i, gs[i].rate[20], want)
		}
	}
	if !near(gs[8].rate[20], 0.5) {
		t.Errorf("laminar: the free task at %g, want 0.5", gs[8].rate[20])
	}
}
