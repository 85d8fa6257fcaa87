package sim

import (
	"math"
	"math/bits"
	"slices"
)

// Lag: how far each task is from the service it would have had under an
// ideal scheduler, in ns (ideal minus received). Two ideals are tracked
// (docs/config.md, "lag"):
//
//   - the machine: weighted processor sharing (GPS) of the machine's CPUs
//     among the runnable tasks, respecting affinity. Each runnable task i
//     of weight w_i is served at rate r_i, the weighted max-min fair
//     allocation: r_i <= 1 (a task uses one CPU at a time), the tasks
//     whose masks lie inside a CPU set S get at most |S| together, and
//     among allocations that satisfy this, the weighted rates r_i/w_i are
//     as equal as possible (lexicographically max-min). It is computed by
//     bottleneck decomposition: the set S whose tasks T(S) (masks inside
//     S) admit the smallest water level lambda_S, solving
//     sum_{T(S)} min(1, w_i*lambda) = |S|, gets r_i = min(1, w_i*lambda_S);
//     S and T(S) are removed, and so on. Candidate sets are the unions of
//     the distinct masks of runnable tasks (exact) when there are at most
//     gpsExactGroups of them, else the masks themselves and the whole
//     machine (exact when the masks are nested or disjoint, as with
//     pinning to single CPUs, LLCs or nodes).
//   - the runqueue: weighted sharing of one CPU among the runnable tasks
//     whose task_cpu() is that CPU (the runqueue a per-CPU policy keeps
//     them on): r_i = w_i / W_cpu.
//
// Both are integrated between changes of the runnable set and evaluated
// whenever a task's service is accounted (ticks, switches, sleeps), where
// the difference has its extremes except for rate changes in between.
// Lag and its maxima cover the measured window: at the end of the warmup
// every task's lag is set to 0.
type gps struct {
	last   uint64
	groups []*gpsGroup
	byMask map[CPUMask]int
	active []int // groups with runnable tasks, ascending
	max    float64
	rqMax  float64
	rq     []rqShare
	cpus   int
	// scratch for recompute
	rem []int
	// the first iteration's candidates, for the active groups cacheKey
	// (whose masks' union is cacheFree)
	cacheKey  []int
	cache     []gpsCandidate
	cacheFree CPUMask
}

// gpsCandidate is a union S of masks, the active groups inside it (bits
// over the active list) and |S|; candidates returns them for the active
// groups, with the union of their masks.
type gpsCandidate struct {
	s       CPUMask
	members uint64
	ncpu    float64
}

func (g *gps) candidates() ([]gpsCandidate, *CPUMask) {
	if slices.Equal(g.cacheKey, g.active) {
		return g.cache, &g.cacheFree
	}
	g.cacheKey = append(g.cacheKey[:0], g.active...)
	g.cache = g.cache[:0]
	free := &g.cacheFree
	*free = CPUMask{}
	for _, gi := range g.active {
		maskOr(free, &g.groups[gi].mask)
	}
	for sub := 1; sub < 1<<len(g.active); sub++ {
		var c gpsCandidate
		for j, gi := range g.active {
			if sub&(1<<j) != 0 {
				maskOr(&c.s, &g.groups[gi].mask)
			}
		}
		for j, gi := range g.active {
			if maskInside(&g.groups[gi].mask, &c.s, free) {
				c.members |= 1 << j
			}
		}
		c.s.And(&c.s, free)
		c.ncpu = float64(c.s.Weight())
		g.cache = append(g.cache, c)
	}
	return g.cache, free
}

// gpsExactGroups bounds the distinct affinity masks for which the
// decomposition tries every union of masks (2^k candidates).
const gpsExactGroups = 6

// gpsGroup holds the runnable tasks of one affinity mask, by nice level:
// tasks of a group and level share one rate, and acc is the service one
// of them would have accumulated since the start.
type gpsGroup struct {
	mask CPUMask // the tasks' mask within the machine
	key  CPUMask // the tasks' mask as set (byMask's key)
	ncpu int
	all  bool // the mask covers every CPU
	n    int
	lv   uint64 // levels with runnable tasks (bit = nice+20)
	nRun [40]int
	acc  [40]float64
	rate [40]float64
}

// rqShare is one CPU's runqueue ideal: v grows by dt/W while W > 0, and a
// task of weight w on it accrues w*dv.
type rqShare struct {
	last uint64
	w    float64
	v    float64
}

func (g *gps) init(cpus int) {
	g.byMask = make(map[CPUMask]int)
	g.rq = make([]rqShare, cpus)
	g.cpus = cpus
}

func (g *gps) advance(now uint64) {
	if now <= g.last {
		return
	}
	dt := float64(now - g.last)
	for _, gi := range g.active {
		gr := g.groups[gi]
		for lv := gr.lv; lv != 0; lv &= lv - 1 {
			b := bits.TrailingZeros64(lv)
			gr.acc[b] += gr.rate[b] * dt
		}
	}
	g.last = now
}

func (g *gps) group(m *Machine, t *Task) int {
	// Most tasks keep their mask: try the group they were in last.
	if gi := int(t.gpsGroup); gi < len(g.groups) && g.groups[gi].key == t.K.CpusMask {
		return gi
	}
	if gi, ok := g.byMask[t.K.CpusMask]; ok {
		return gi
	}
	gr := &gpsGroup{mask: t.K.CpusMask, key: t.K.CpusMask}
	gr.mask.And(&gr.mask, &m.Topo.All)
	gr.ncpu = gr.mask.Weight()
	gr.all = gr.ncpu == len(m.cpus)
	g.groups = append(g.groups, gr)
	g.byMask[t.K.CpusMask] = len(g.groups) - 1
	return len(g.groups) - 1
}

// waterLevel solves sum_b n[b]*min(1, w_b*lambda) = c for lambda over
// the levels in lv (ascending in nice: heaviest first); +Inf when the
// tasks fit in c CPUs.
func waterLevel(n *[40]int, lv uint64, c float64) float64 {
	var cnt int
	var w float64
	for l := lv; l != 0; l &= l - 1 {
		b := bits.TrailingZeros64(l)
		cnt += n[b]
		w += float64(n[b]) * float64(NiceToWeight[b])
	}
	if float64(cnt) <= c {
		return math.Inf(1)
	}
	free := c
	for l := lv; l != 0; l &= l - 1 {
		b := bits.TrailingZeros64(l)
		lambda := free / w
		wb := float64(NiceToWeight[b])
		if wb*lambda < 1 {
			return lambda
		}
		free -= float64(n[b])
		w -= float64(n[b]) * wb
	}
	return math.Inf(1) // not reached when cnt > c
}

func (g *gps) setRates(gr *gpsGroup, lambda float64) {
	for lv := gr.lv; lv != 0; lv &= lv - 1 {
		b := bits.TrailingZeros64(lv)
		gr.rate[b] = min(1, float64(NiceToWeight[b])*lambda)
	}
}

// recompute finds every active group's rates (the decomposition above).
func (g *gps) recompute() {
	if len(g.active) == 0 {
		return
	}
	if len(g.active) == 1 {
		gr := g.groups[g.active[0]]
		g.setRates(gr, waterLevel(&gr.nRun, gr.lv, float64(gr.ncpu)))
		return
	}
	var free CPUMask // CPUs not yet given to a bottleneck
	var rem []int    // groups not yet given a rate
	if len(g.active) <= gpsExactGroups {
		// First bottleneck from the candidates cached for this set of
		// groups (the set changes far less often than the counts).
		cs, all := g.candidates()
		var cnt [gpsExactGroups]int
		for j, gi := range g.active {
			cnt[j] = g.groups[gi].n
		}
		best, bi := math.Inf(1), -1
		for i := range cs {
			// Candidates whose tasks fit in their CPUs have an infinite
			// level (waterLevel's first test): they never become the
			// bottleneck, so skip building their counts by level.
			var c int
			for mb := cs[i].members; mb != 0; mb &= mb - 1 {
				c += cnt[bits.TrailingZeros64(mb)]
			}
			if float64(c) <= cs[i].ncpu {
				continue
			}
			var n [40]int
			var lv uint64
			for j, gi := range g.active {
				if cs[i].members&(1<<j) != 0 {
					gr := g.groups[gi]
					lv |= gr.lv
					for l := gr.lv; l != 0; l &= l - 1 {
						b := bits.TrailingZeros64(l)
						n[b] += gr.nRun[b]
					}
				}
			}
			if l := waterLevel(&n, lv, cs[i].ncpu); l < best {
				best, bi = l, i
			}
		}
		if bi < 0 {
			for _, gi := range g.active {
				g.setRates(g.groups[gi], best)
			}
			return
		}
		rem = g.rem[:0]
		for j, gi := range g.active {
			if cs[bi].members&(1<<j) != 0 {
				g.setRates(g.groups[gi], best)
			} else {
				rem = append(rem, gi)
			}
		}
		free = *all
		maskAndNot(&free, &cs[bi].s)
	} else {
		rem = append(g.rem[:0], g.active...)
		for _, gi := range rem {
			maskOr(&free, &g.groups[gi].mask)
		}
	}
	for len(rem) > 0 {
		best, bestS := math.Inf(1), CPUMask{}
		try := func(s *CPUMask) {
			var in CPUMask
			in.And(s, &free)
			ncpu := float64(in.Weight())
			var cnt int
			for _, gi := range rem {
				if gr := g.groups[gi]; maskInside(&gr.mask, s, &free) {
					cnt += gr.n
				}
			}
			if float64(cnt) <= ncpu {
				return // fits: an infinite level, as waterLevel finds
			}
			var n [40]int
			var lv uint64
			for _, gi := range rem {
				gr := g.groups[gi]
				if maskInside(&gr.mask, s, &free) {
					lv |= gr.lv
					for l := gr.lv; l != 0; l &= l - 1 {
						b := bits.TrailingZeros64(l)
						n[b] += gr.nRun[b]
					}
				}
			}
			if l := waterLevel(&n, lv, ncpu); l < best {
				best, bestS = l, in
			}
		}
		if len(rem) <= gpsExactGroups {
			for sub := 1; sub < 1<<len(rem); sub++ {
				var s CPUMask
				for j, gi := range rem {
					if sub&(1<<j) != 0 {
						maskOr(&s, &g.groups[gi].mask)
					}
				}
				try(&s)
			}
		} else {
			for _, gi := range rem {
				try(&g.groups[gi].mask)
			}
			try(&free)
		}
		if math.IsInf(best, 1) {
			for _, gi := range rem {
				g.setRates(g.groups[gi], best)
			}
			break
		}
		keep := rem[:0]
		for _, gi := range rem {
			gr := g.groups[gi]
			if maskInside(&gr.mask, &bestS, &free) {
				g.setRates(gr, best)
			} else {
				keep = append(keep, gi)
			}
		}
		rem = keep
		maskAndNot(&free, &bestS)
	}
	g.rem = rem[:0]
}

func (g *gps) rqAdvance(cpu int, now uint64) *rqShare {
	r := &g.rq[cpu]
	if now > r.last {
		if r.w > 0 {
			r.v += float64(now-r.last) / r.w
		}
		r.last = now
	}
	return r
}

// sync brings t's ideal services up to now.
func (g *gps) sync(m *Machine, t *Task) {
	if !t.gpsIn {
		return
	}
	g.advance(m.now)
	acc := g.groups[t.gpsGroup].acc[t.Nice+20]
	t.gpsIdeal += acc - t.gpsRef
	t.gpsRef = acc
	r := g.rqAdvance(int(t.rqCPU), m.now)
	t.rqIdeal += float64(t.Weight) * (r.v - t.rqRef)
	t.rqRef = r.v
}

func (g *gps) join(m *Machine, t *Task) {
	if t.gpsIn {
		return
	}
	g.advance(m.now)
	gi := g.group(m, t)
	gr := g.groups[gi]
	b := t.Nice + 20
	t.gpsIn, t.gpsGroup, t.gpsRef = true, int32(gi), gr.acc[b]
	if gr.n == 0 {
		i := 0
		for i < len(g.active) && g.active[i] < gi {
			i++
		}
		g.active = append(g.active, 0)
		copy(g.active[i+1:], g.active[i:])
		g.active[i] = gi
	}
	gr.n++
	gr.nRun[b]++
	gr.lv |= 1 << b
	g.recompute()
	g.rqJoin(m, t)
}

func (g *gps) rqJoin(m *Machine, t *Task) {
	t.rqCPU = int32(t.cpu)
	r := g.rqAdvance(t.cpu, m.now)
	r.w += float64(t.Weight)
	t.rqRef = r.v
}

func (g *gps) rqLeave(m *Machine, t *Task) {
	r := g.rqAdvance(int(t.rqCPU), m.now)
	r.w -= float64(t.Weight)
	if r.w < 0.5 {
		r.w = 0 // no drift from float sums
	}
}

func (g *gps) leave(m *Machine, t *Task) {
	if !t.gpsIn {
		return
	}
	g.sync(m, t)
	g.check(m, t)
	gr := g.groups[t.gpsGroup]
	gr.n--
	if gr.nRun[t.Nice+20]--; gr.nRun[t.Nice+20] == 0 {
		gr.lv &^= 1 << (t.Nice + 20)
	}
	if gr.n == 0 {
		for i, x := range g.active {
			if x == int(t.gpsGroup) {
				g.active = append(g.active[:i], g.active[i+1:]...)
				break
			}
		}
	}
	t.gpsIn = false
	g.recompute()
	g.rqLeave(m, t)
}

// moved is called when a runnable task's task_cpu() changes: it leaves
// one runqueue's share for another's.
func (g *gps) moved(m *Machine, t *Task) {
	if !t.gpsIn || int(t.rqCPU) == t.cpu {
		return
	}
	g.sync(m, t)
	g.check(m, t)
	g.rqLeave(m, t)
	g.rqJoin(m, t)
}

func (g *gps) ran(m *Machine, t *Task) {
	g.sync(m, t)
	g.check(m, t)
}

// service is the CPU time t has held so far: from each switch in to the
// switch out, including the switch and the overhead charged meanwhile
// (the scheduler gave it the CPU; what the CPU spent it on is another
// matter).
func service(m *Machine, t *Task) float64 {
	s := t.held
	if t.onCPU {
		s += m.now - t.onSince
	}
	return float64(s)
}

func (g *gps) check(m *Machine, t *Task) {
	sv := service(m, t)
	l := math.Abs(t.gpsIdeal - sv)
	t.Stats.MaxLag = max(t.Stats.MaxLag, l)
	g.max = max(g.max, l)
	l = math.Abs(t.rqIdeal - sv)
	t.Stats.MaxRqLag = max(t.Stats.MaxRqLag, l)
	g.rqMax = max(g.rqMax, l)
}

// startWindow sets every task's lag to 0 and forgets the maxima (the end
// of the warmup).
func (g *gps) startWindow(m *Machine) {
	for _, t := range m.tasks {
		g.sync(m, t)
		t.gpsIdeal = service(m, t)
		t.rqIdeal = t.gpsIdeal
		t.Stats.MaxLag, t.Stats.MaxRqLag = 0, 0
	}
	g.max, g.rqMax = 0, 0
}

// Lag returns task t's current lag against the machine's ideal (ideal
// minus received service, ns, since the measured window began).
func (m *Machine) Lag(t *Task) float64 {
	m.lag.sync(m, t)
	return t.gpsIdeal - service(m, t)
}

// RqLag returns task t's current lag against the ideal sharing of its
// runqueue (ns, since the measured window began).
func (m *Machine) RqLag(t *Task) float64 {
	m.lag.sync(m, t)
	return t.rqIdeal - service(m, t)
}

func maskOr(dst, a *CPUMask) {
	for i := range dst.Bits {
		dst.Bits[i] |= a.Bits[i]
	}
}

func maskAndNot(dst, a *CPUMask) {
	for i := range dst.Bits {
		dst.Bits[i] &^= a.Bits[i]
	}
}

// maskInside reports whether m&within is a subset of s.
func maskInside(m, s, within *CPUMask) bool {
	for i := range m.Bits {
		if m.Bits[i]&within.Bits[i]&^s.Bits[i] != 0 {
			return false
		}
	}
	return true
}
