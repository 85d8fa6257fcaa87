package sim

import "math"

// gps tracks each task's lag against the ideal weighted processor-sharing
// (GPS) schedule of the whole machine: while runnable, a task of weight w
// ideally receives service at rate min(1, w*lambda), where lambda solves
// the water-filling equation sum_i min(1, w_i*lambda) = min(M, n) over the
// n runnable tasks and M CPUs (a task cannot use more than one CPU).
//
// Weights come from the 40-entry nice table, so all tasks of one nice level
// share a rate; per level we keep the service a task would have accumulated
// since the start (acc), and each task remembers acc when it last synced.
// Every change of the runnable set costs O(40), not O(tasks).
//
// lag_i = ideal_i - actual_i. It is evaluated whenever task i's service is
// accounted (ticks, switches, sleeps), which is where it has its extremes
// except for changes in lambda between two such points.
type gps struct {
	last   uint64
	nRun   [40]int
	acc    [40]float64
	rate   [40]float64
	max    float64
	active []int // nice levels with runnable tasks, ascending (heaviest first)
	n      int   // runnable tasks
	w      float64
}

func (g *gps) init() {}

func (g *gps) advance(now uint64) {
	if now <= g.last {
		return
	}
	dt := float64(now - g.last)
	for _, b := range g.active {
		g.acc[b] += g.rate[b] * dt
	}
	g.last = now
}

func (g *gps) recompute(cpus int) {
	if g.n <= cpus {
		for _, b := range g.active {
			g.rate[b] = 1
		}
		return
	}
	// Water-filling: cap the heaviest levels at one CPU while w*lambda >= 1.
	free, w := float64(cpus), g.w
	for i, b := range g.active {
		lambda := free / w
		wb := float64(NiceToWeight[b])
		if wb*lambda >= 1 {
			g.rate[b] = 1
			free -= float64(g.nRun[b])
			w -= float64(g.nRun[b]) * wb
			continue
		}
		for _, b2 := range g.active[i:] {
			g.rate[b2] = float64(NiceToWeight[b2]) * lambda
		}
		return
	}
}

// add changes the runnable count of nice level b by d (+1 or -1).
func (g *gps) add(b, d int) {
	g.nRun[b] += d
	g.n += d
	g.w += float64(d) * float64(NiceToWeight[b])
	switch {
	case d > 0 && g.nRun[b] == 1:
		i := 0
		for i < len(g.active) && g.active[i] < b {
			i++
		}
		g.active = append(g.active, 0)
		copy(g.active[i+1:], g.active[i:])
		g.active[i] = b
	case d < 0 && g.nRun[b] == 0:
		for i, x := range g.active {
			if x == b {
				g.active = append(g.active[:i], g.active[i+1:]...)
				break
			}
		}
		if g.n == 0 {
			g.w = 0 // no drift from float sums
		}
	}
}

func (g *gps) sync(m *Machine, t *Task) {
	b := t.Nice + 20
	g.advance(m.now)
	t.gpsIdeal += g.acc[b] - t.gpsRef
	t.gpsRef = g.acc[b]
}

func (g *gps) join(m *Machine, t *Task) {
	g.advance(m.now)
	t.gpsRef = g.acc[t.Nice+20]
	g.add(t.Nice+20, 1)
	g.recompute(len(m.cpus))
}

func (g *gps) leave(m *Machine, t *Task) {
	g.sync(m, t)
	g.check(t)
	g.add(t.Nice+20, -1)
	g.recompute(len(m.cpus))
}

func (g *gps) ran(m *Machine, t *Task, _ uint64) {
	g.sync(m, t)
	g.check(t)
}

func (g *gps) check(t *Task) {
	l := math.Abs(t.gpsIdeal - float64(t.Stats.Runtime))
	if l > t.Stats.MaxLag {
		t.Stats.MaxLag = l
	}
	if l > g.max {
		g.max = l
	}
}

// Lag returns task t's current lag (ideal minus received service, ns).
func (m *Machine) Lag(t *Task) float64 {
	if t.Runnable() {
		m.lag.sync(m, t)
	}
	return t.gpsIdeal - float64(t.Stats.Runtime)
}
