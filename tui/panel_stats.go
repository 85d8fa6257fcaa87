package tui

import (
	"fmt"

	"github.com/gdamore/tcell/v2"
)

// compare returns the style of value v against the other policy's o:
// better or worse by more than 5%, else plain. lower says lower is better.
func compare(th *theme, v, o float64, other bool, lower bool) tcell.Style {
	if !other || v == o {
		return th.base
	}
	d := v - o
	if d < 0 {
		d = -d
	}
	if d <= 0.05*max(v, o, 1e-12) {
		return th.base
	}
	if (v < o) == lower {
		return th.better
	}
	return th.worse
}

func drawMachine(c canvas, m *Model, sn, other *Snapshot) {
	th := c.th
	var last Sample
	if n := len(sn.Samples); n > 0 {
		last = sn.Samples[n-1]
	}
	var olast Sample
	if other != nil && len(other.Samples) > 0 {
		olast = other.Samples[len(other.Samples)-1]
	}
	type row struct {
		label, now, avg string
		v, o            float64
		lower           bool
		series          func(Sample) float64
		top             float64
	}
	avgSw, avgMig := 0.0, 0.0
	if sn.Now > 0 {
		avgSw = float64(sn.Switches) * 1e9 / float64(sn.Now)
		avgMig = float64(sn.Migrations) * 1e9 / float64(sn.Now)
	}
	rows := []row{
		{"util", pctf(last.Util), pctf(sn.Util), sn.Util, otherOr(other, func(o *Snapshot) float64 { return o.Util }), false,
			func(s Sample) float64 { return s.Util }, 1},
		{"sched", pctf(last.Sched), pctf(sn.Sched), sn.Sched, otherOr(other, func(o *Snapshot) float64 { return o.Sched }), true,
			func(s Sample) float64 { return s.Sched }, 0},
		{"runnable", fmt.Sprint(sn.Runnable), "", float64(sn.Runnable), float64(olast.Runnable), true,
			func(s Sample) float64 { return float64(s.Runnable) }, 0},
		{"switch/s", fmtRate(last.SwitchRate), fmtRate(avgSw), last.SwitchRate, olast.SwitchRate, true,
			func(s Sample) float64 { return s.SwitchRate }, 0},
		{"migr/s", fmtRate(last.MigRate), fmtRate(avgMig), last.MigRate, olast.MigRate, true,
			func(s Sample) float64 { return s.MigRate }, 0},
	}
	lagRow := row{"max lag", dur(uint64(sn.MaxLag)), "", sn.MaxLag, otherOr(other, func(o *Snapshot) float64 { return o.MaxLag }), true, nil, 0}
	c.text(0, 0, fmt.Sprintf("%-9s %7s %7s  history", "", "now", "run"), th.dim)
	for i, r := range rows {
		y := 1 + i
		c.text(0, y, fmt.Sprintf("%-9s", r.label), th.base)
		// Utilisation is not better or worse by itself: not compared.
		c.text(10, y, fmt.Sprintf("%7s", r.now), compare(th, r.v, r.o, other != nil && i > 0, r.lower))
		c.text(18, y, fmt.Sprintf("%7s", r.avg), th.dim)
		vs := make([]float64, len(sn.Samples))
		for j, s := range sn.Samples {
			vs[j] = r.series(s)
		}
		c.sparkline(27, y, c.r.w-27, vs, r.top, th.bold)
	}
	// Max lag has no history: it only grows.
	c.text(0, len(rows)+1, fmt.Sprintf("%-9s", lagRow.label), th.base)
	c.text(10, len(rows)+1, fmt.Sprintf("%7s", lagRow.now), compare(th, lagRow.v, lagRow.o, other != nil, true))
	c.text(27, len(rows)+1, "vs ideal weighted sharing", th.dim)
	y := len(rows) + 3
	if sn.Ejection != "" {
		c.text(0, y, sn.Ejection, th.warn)
		y += 2
	}
	// Each CPU's busy time so far, in topology order.
	if y >= c.r.h || len(sn.CPUs) == 0 {
		return
	}
	c.text(0, y, "busy by CPU since the start", th.dim)
	y++
	idW := max(idWidth(len(sn.CPUs)), 3)
	cellW := idW + 6
	per := max(c.r.w/cellW, 1)
	for k, i := range topoOrder(sn.CPUs) {
		if k > 0 && k%per == 0 {
			y++
		}
		if y >= c.r.h {
			break
		}
		cs := sn.CPUs[i]
		x := (k % per) * cellW
		c.text(x, y, fmt.Sprintf("%*d", idW, cs.ID), th.dim)
		c.text(x+idW, y, fmt.Sprintf(" %3.0f%% ", cs.Busy*100), th.base)
	}
}

func otherOr(o *Snapshot, f func(*Snapshot) float64) float64 {
	if o == nil {
		return 0
	}
	return f(o)
}

func pctf(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

func drawDSQs(c canvas, m *Model, sn *Snapshot) {
	th := c.th
	top := 1
	var locals []DSQSnap
	var shared []DSQSnap
	for _, q := range sn.DSQs {
		top = max(top, q.Depth)
		if q.Local >= 0 {
			locals = append(locals, q)
		} else {
			shared = append(shared, q)
		}
	}
	lines := []func(y int){}
	for _, q := range shared {
		lines = append(lines, func(y int) {
			c.text(0, y, fmt.Sprintf("%-14.14s %5d ", q.Name, q.Depth), th.base)
			c.text(21, y, bar(float64(q.Depth), float64(top), c.r.w-21), th.bold)
		})
	}
	lines = append(lines, func(y int) { c.text(0, y, "local DSQs (cpu:depth)", th.dim) })
	// Locals, packed several to a line.
	per := max(c.r.w/8, 1)
	for i := 0; i < len(locals); i += per {
		row := locals[i:min(i+per, len(locals))]
		lines = append(lines, func(y int) {
			x := 0
			for _, q := range row {
				st := th.base
				if q.Depth > 0 {
					st = th.bold
				}
				x += c.text(x, y, fmt.Sprintf("%3d:%-3d ", q.Local, q.Depth), st)
			}
		})
	}
	start := c.scroll(m, PanelDSQs, len(lines), c.r.h)
	for y, i := 0, start; i < len(lines) && y < c.r.h; y, i = y+1, i+1 {
		lines[i](y)
	}
}

func drawLatency(c canvas, m *Model, sn, other *Snapshot) {
	th := c.th
	// Columns: the narrow panel keeps p50, p99 and max.
	type qcol struct {
		head string
		get  func(l *LatencySnap) uint64
	}
	qs := []qcol{{"p50", func(l *LatencySnap) uint64 { return l.P50 }}, {"p90", func(l *LatencySnap) uint64 { return l.P90 }},
		{"p99", func(l *LatencySnap) uint64 { return l.P99 }}, {"p99.9", func(l *LatencySnap) uint64 { return l.P999 }},
		{"max", func(l *LatencySnap) uint64 { return l.Max }}}
	nameW := 12
	showCount := c.r.w >= nameW+9+9*len(qs)
	if c.r.w < nameW+1+9*len(qs) {
		qs = []qcol{qs[0], qs[2], qs[4]}
		if c.r.w < nameW+1+9*len(qs) {
			nameW = 9
		}
	}
	head := fmt.Sprintf("%-*s ", nameW, "")
	if showCount {
		head += fmt.Sprintf("%7s ", "count")
	}
	for _, q := range qs {
		head += fmt.Sprintf("%8s ", q.head)
	}
	c.text(0, 0, head, th.dim)
	dists := []LatencySnap{sn.Wake}
	var others []LatencySnap
	if other != nil {
		others = append(others, other.Wake)
		others = append(others, other.Requests...)
	}
	dists = append(dists, sn.Requests...)
	y := 1
	for i, d := range dists {
		if i > 0 && d.Count == 0 {
			continue
		}
		name := d.Name
		if i > 0 {
			name += " req"
		}
		var o LatencySnap
		if i < len(others) {
			o = others[i]
		}
		has := other != nil && o.Count > 0
		x := c.text(0, y, fmt.Sprintf("%-*.*s ", nameW, nameW, name), th.base)
		if showCount {
			x += c.text(x, y, fmt.Sprintf("%7d ", d.Count), th.base)
		}
		for _, q := range qs {
			v, ov := q.get(&d), q.get(&o)
			x += c.text(x, y, fmt.Sprintf("%8s ", dur(v)), compare(th, float64(v), float64(ov), has, true))
		}
		y++
	}
	// Histograms: wakeup latency, then each workload's requests, while
	// there is room.
	for i, d := range dists {
		if d.Count == 0 || c.r.h-y < 4 {
			continue
		}
		y++
		what := "wakeup latency"
		if i > 0 {
			what = d.Name + " request latency"
		}
		c.text(0, y, what+" histogram", th.dim)
		y++
		lo, hi := -1, -1
		var top uint64
		// From the bucket where the lowest 0.5% of samples end, to the
		// highest.
		var cum uint64
		for b, n := range d.Log {
			cum += n
			if n > 0 {
				if lo < 0 && cum*200 >= d.Count {
					lo = b
				}
				hi = b
				top = max(top, n)
			}
		}
		for b := lo; b <= hi && y < c.r.h; b++ {
			label := "0"
			if b > 0 {
				label = dur(uint64(1)<<(b-1)) + "-" + dur(uint64(1)<<b)
			}
			c.text(0, y, fmt.Sprintf("%17s %7d ", label, d.Log[b]), th.base)
			c.text(27, y, bar(float64(d.Log[b]), float64(top), c.r.w-27), th.bold)
			y++
		}
	}
}
