package tui

import (
	"fmt"
	"slices"
)

// topoOrder returns the CPUs' indices in topology order: node, LLC, core,
// SMT sibling.
func topoOrder(cpus []CPUSnap) []int {
	idx := make([]int, len(cpus))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		x, y := cpus[a], cpus[b]
		for _, d := range [][2]int{{x.Node, y.Node}, {x.LLC, y.LLC}, {x.Core, y.Core}, {x.Thread, y.Thread}} {
			if d[0] != d[1] {
				return d[0] - d[1]
			}
		}
		return 0
	})
	return idx
}

// labelW is the width of a line's label ("n0 l1 ").
const labelW = 7

// cpuCellLine is one line of CPU cells: a label and the cores on it, each
// core a list of CPU indices.
type cpuCellLine struct {
	label string
	cores [][]int
}

// cpuLayout groups the CPUs into lines (one LLC per line, wrapped when its
// cores do not fit) and picks the cell width.
func cpuLayout(sn *Snapshot, w int) (lines []cpuCellLine, cellW int) {
	order := topoOrder(sn.CPUs)
	// cores by LLC, in order
	type llc struct {
		node, id int
		cores    [][]int
	}
	var llcs []llc
	for _, i := range order {
		c := sn.CPUs[i]
		if len(llcs) == 0 || llcs[len(llcs)-1].id != c.LLC || llcs[len(llcs)-1].node != c.Node {
			llcs = append(llcs, llc{node: c.Node, id: c.LLC})
		}
		l := &llcs[len(llcs)-1]
		if n := len(l.cores); n == 0 || sn.CPUs[l.cores[n-1][0]].Core != c.Core {
			l.cores = append(l.cores, nil)
		}
		l.cores[len(l.cores)-1] = append(l.cores[len(l.cores)-1], i)
	}
	idW := max(idWidth(len(sn.CPUs)), 3)
	narrow := idW + 1
	wide := idW + 11
	coreW := func(n, cw int) int { return n*cw + 2 }
	cellW = wide
	for _, l := range llcs {
		lw := labelW
		for _, c := range l.cores {
			lw += coreW(len(c), cellW)
		}
		if lw > w {
			cellW = narrow
			break
		}
	}
	for _, l := range llcs {
		line := cpuCellLine{label: fmt.Sprintf("n%d l%d", l.node, l.id)}
		x := labelW
		for _, c := range l.cores {
			cw := coreW(len(c), cellW)
			if x+cw > w && len(line.cores) > 0 {
				lines = append(lines, line)
				line = cpuCellLine{}
				x = labelW
			}
			line.cores = append(line.cores, c)
			x += cw
		}
		lines = append(lines, line)
	}
	return lines, cellW
}

// cpusHeight is the height the CPU panel wants in the grid layout.
func cpusHeight(sn *Snapshot, w int) int {
	lines, _ := cpuLayout(sn, w-2)
	return len(lines) + 3 + min(len(sn.CPUs), 16) + 2
}

// idWidth is the width of a CPU number in the cells (with a space).
func idWidth(n int) int { return len(fmt.Sprint(max(n-1, 0))) + 1 }

// drawCPUs draws the cells, the legend and the timeline as one list of
// lines, which ↑ ↓ scroll when they do not fit.
func drawCPUs(c canvas, m *Model, sn, other *Snapshot) {
	th := c.th
	lines, cellW := cpuLayout(sn, c.r.w)
	idW := max(idWidth(len(sn.CPUs)), 3)
	var rows []func(y int)
	for _, l := range lines {
		rows = append(rows, func(y int) {
			c.text(0, y, l.label, th.dim)
			x := labelW
			for _, core := range l.cores {
				x += c.text(x, y, "[", th.dim)
				for _, i := range core {
					cs := sn.CPUs[i]
					st := th.kindStyle(cs.Kind)
					if other != nil && i < len(other.CPUs) && other.CPUs[i].Kind != cs.Kind {
						st = st.Underline(true) // differs from the other policy
					}
					if cellW == idW+1 {
						x += c.text(x, y, fmt.Sprintf("%*d", idW, cs.ID), th.base)
						x += c.text(x, y, string(kindRune(cs.Kind)), st)
					} else {
						what := cs.Comm
						switch {
						case cs.Kind == kindSpin:
							what = "!" + cs.Lock
						case cs.PID == 0:
							what = "."
						}
						x += c.text(x, y, fmt.Sprintf("%*d ", idW, cs.ID), th.base)
						x += c.text(x, y, fmt.Sprintf("%c %-8.8s", kindRune(cs.Kind), what), st)
						x += c.text(x, y, " ", th.base)
					}
				}
				x += c.text(x, y, "]", th.dim)
			}
		})
	}
	rows = append(rows, func(y int) {
		x := 0
		for g, name := range sn.Groups {
			x += c.text(x, y, string(kindRune(kindGroup+g)), th.kindStyle(kindGroup+g))
			x += c.text(x, y, " "+name+"  ", th.base)
		}
		for _, k := range []int{kindIdle, kindSched, kindSpin} {
			x += c.text(x, y, string(kindRune(k)), th.kindStyle(k))
			x += c.text(x, y, " "+[]string{"idle", "sched", "lock spin"}[k]+"  ", th.base)
		}
	}, func(y int) {
		c.text(0, y, fmt.Sprintf("timeline: 1 column = %s, newest at the right", dur(sn.BucketNs)), th.dim)
	})
	// Timeline, as perf sched map: one row per CPU, newest at the right.
	tw := c.r.w - idW - 1
	for _, i := range topoOrder(sn.CPUs) {
		rows = append(rows, func(y int) {
			c.text(0, y, fmt.Sprintf("%*d ", idW, sn.CPUs[i].ID), th.dim)
			tl := sn.Timeline[i]
			if len(tl) > tw {
				tl = tl[len(tl)-tw:]
			}
			x := idW + 1 + tw - len(tl)
			for _, kd := range tl {
				c.put(x, y, kindRune(int(kd)), th.kindStyle(int(kd)))
				x++
			}
		})
	}
	start := c.scroll(m, PanelCPUs, len(rows), c.r.h)
	for y, i := 0, start; i < len(rows) && y < c.r.h; y, i = y+1, i+1 {
		rows[i](y)
	}
}
