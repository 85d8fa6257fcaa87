package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func matches(filter string, fields ...string) bool {
	if filter == "" {
		return true
	}
	f := strings.ToLower(filter)
	for _, s := range fields {
		if strings.Contains(strings.ToLower(s), f) {
			return true
		}
	}
	return false
}

// sortTasks orders the rows by taskSorts[key] (largest first, except pid
// and cpu), ties by pid.
func sortTasks(ts []TaskSnap, key int) {
	slices.SortStableFunc(ts, func(a, b TaskSnap) int {
		var c int
		switch taskSorts[key] {
		case "runtime":
			c = cmp.Compare(b.Runtime, a.Runtime)
		case "wait":
			c = cmp.Compare(b.Wait, a.Wait)
		case "switch":
			c = cmp.Compare(b.Switches, a.Switches)
		case "migr":
			c = cmp.Compare(b.Migrations, a.Migrations)
		case "cpu":
			c = cmp.Compare(a.CPU, b.CPU)
		case "state":
			c = cmp.Compare(a.State, b.State)
		case "vruntime":
			c = cmp.Compare(b.Vruntime, a.Vruntime)
		case "lag":
			c = cmp.Compare(b.Lag, a.Lag)
		}
		if c == 0 {
			c = cmp.Compare(a.PID, b.PID)
		}
		return c
	})
}

// taskCol is a column of the tasks table; columns of lower priority go
// first when the panel is narrow.
type taskCol struct {
	head  string
	w     int
	left  bool
	prio  int
	eevdf bool
	cell  func(t *TaskSnap) string
}

var taskCols = []taskCol{
	{"pid", 6, false, 9, false, func(t *TaskSnap) string { return strconv.Itoa(int(t.PID)) }},
	{"comm", 10, true, 9, false, func(t *TaskSnap) string { return t.Comm }},
	{"workload", 8, true, 5, false, func(t *TaskSnap) string { return t.Group }},
	{"state", 8, true, 8, false, func(t *TaskSnap) string { return t.State }},
	{"cpu", 3, false, 7, false, func(t *TaskSnap) string { return strconv.Itoa(t.CPU) }},
	{"nice", 4, false, 2, false, func(t *TaskSnap) string { return strconv.Itoa(t.Nice) }},
	{"runtime", 8, false, 7, false, func(t *TaskSnap) string { return dur(t.Runtime) }},
	{"wait", 8, false, 6, false, func(t *TaskSnap) string { return dur(t.Wait) }},
	{"switch", 6, false, 4, false, func(t *TaskSnap) string { return strconv.FormatUint(t.Switches, 10) }},
	{"migr", 5, false, 3, false, func(t *TaskSnap) string { return strconv.FormatUint(t.Migrations, 10) }},
	{"vruntime", 9, false, 6, true, func(t *TaskSnap) string { return dur(t.Vruntime) }},
	{"deadline", 9, false, 6, true, func(t *TaskSnap) string { return dur(t.Deadline) }},
	{"lag", 9, false, 6, true, func(t *TaskSnap) string { return sdur(t.Lag) }},
}

// sdur formats signed virtual nanoseconds.
func sdur(ns int64) string {
	if ns < 0 {
		return "-" + dur(uint64(-ns))
	}
	return dur(uint64(ns))
}

// taskColumns picks the columns that fit in w.
func taskColumns(w int, eevdf bool) []taskCol {
	var cols []taskCol
	width := 0
	for _, c := range taskCols {
		if !c.eevdf || eevdf {
			cols = append(cols, c)
			width += c.w + 1
		}
	}
	for prio := 0; width > w && prio < 9; prio++ {
		kept := cols[:0]
		for _, c := range cols {
			if c.prio == prio && width > w {
				width -= c.w + 1
				continue
			}
			kept = append(kept, c)
		}
		cols = kept
	}
	return cols
}

func drawTasks(c canvas, m *Model, sn *Snapshot) {
	th := c.th
	var rows []TaskSnap
	eevdf := false
	for _, t := range sn.Tasks {
		if matches(m.Filter, t.Comm, t.Group, t.State, strconv.Itoa(int(t.PID))) {
			rows = append(rows, t)
			eevdf = eevdf || t.HasEEVDF
		}
	}
	sortTasks(rows, m.Sort)
	cols := taskColumns(c.r.w, eevdf)
	format := func(cell func(col taskCol) string) string {
		var b strings.Builder
		for _, col := range cols {
			v := cell(col)
			if len(v) > col.w {
				v = v[:col.w]
			}
			if col.left {
				fmt.Fprintf(&b, "%-*s ", col.w, v)
			} else {
				fmt.Fprintf(&b, "%*s ", col.w, v)
			}
		}
		return b.String()
	}
	c.text(0, 0, format(func(col taskCol) string {
		if col.head == taskSorts[m.Sort] {
			return col.head + "▼"
		}
		return col.head
	}), th.bold)
	start := c.scroll(m, PanelTasks, len(rows), c.r.h-1)
	for y, i := 1, start; i < len(rows) && y < c.r.h; y, i = y+1, i+1 {
		t := &rows[i]
		line := format(func(col taskCol) string {
			if col.eevdf && !t.HasEEVDF {
				return "-"
			}
			return col.cell(t)
		})
		st := th.base
		if t.State == "running" {
			st = th.bold
		}
		c.text(0, y, line, st)
	}
	if len(rows) == 0 {
		msg := "no tasks yet"
		if m.Filter != "" {
			msg = "no task matches \"" + m.Filter + "\""
		}
		c.text(0, 1, msg, th.dim)
	}
}

// drawMaps draws every map of the policy as a table, one after the other.
func drawMaps(c canvas, m *Model, sn *Snapshot) {
	th := c.th
	if len(sn.Maps) == 0 {
		c.text(0, 0, "the policy has no maps (or is not a BPF program)", th.dim)
		return
	}
	type line struct {
		text string
		bold bool
	}
	var lines []line
	for _, mp := range sn.Maps {
		lines = append(lines, line{fmt.Sprintf("%s  %s  %d/%d entries", mp.Name, mp.Type, mp.Len, mp.Max), true})
		if mp.Err != "" {
			lines = append(lines, line{"  " + mp.Err, false})
			continue
		}
		// Column widths from the cells.
		ws := make([]int, len(mp.Columns))
		var rows [][]string
		for _, r := range mp.Rows {
			if matches(m.Filter, r...) {
				rows = append(rows, r)
			}
		}
		for i, h := range mp.Columns {
			ws[i] = len(h)
		}
		for _, r := range rows {
			for i, cell := range r {
				if i < len(ws) {
					ws[i] = min(max(ws[i], len(cell)), 40)
				}
			}
		}
		format := func(cells []string) string {
			var b strings.Builder
			b.WriteString("  ")
			for i, cell := range cells {
				if i >= len(ws) {
					break
				}
				if len(cell) > ws[i] {
					cell = cell[:ws[i]-1] + "…"
				}
				fmt.Fprintf(&b, "%*s ", ws[i], cell)
			}
			return b.String()
		}
		lines = append(lines, line{format(mp.Columns), false})
		for _, r := range rows {
			lines = append(lines, line{format(r), false})
		}
		lines = append(lines, line{"", false})
	}
	start := c.scroll(m, PanelMaps, len(lines), c.r.h)
	for y, i := 0, start; i < len(lines) && y < c.r.h; y, i = y+1, i+1 {
		st := th.base
		if lines[i].bold {
			st = th.bold
		}
		c.text(0, y, lines[i].text, st)
	}
}

// drawEvents draws lock contention per lock and site, then the event log
// (ejections, deadlock reports, bpf_printk), newest at the bottom.
func drawEvents(c canvas, m *Model, sn *Snapshot) {
	th := c.th
	y := 0
	if len(sn.Locks) == 0 {
		c.text(0, y, "no lock contention", th.dim)
		y++
	} else {
		c.text(0, y, fmt.Sprintf("%-16s %-28s %8s %10s %10s", "lock", "waited at", "waits", "wait total", "wait max"), th.bold)
		y++
		locks := slices.Clone(sn.Locks)
		slices.SortStableFunc(locks, func(a, b LockStat) int { return cmp.Compare(b.WaitTotal, a.WaitTotal) })
		for _, l := range locks {
			if y >= c.r.h/2 {
				break
			}
			c.text(0, y, fmt.Sprintf("%-16.16s %-28.28s %8d %10s %10s", l.Name, l.Site, l.Waits, dur(l.WaitTotal), dur(l.WaitMax)), th.base)
			y++
		}
	}
	y++
	var lines []string
	var kinds []string
	for _, e := range sn.Events {
		for _, l := range strings.Split(strings.TrimRight(e.Text, "\n"), "\n") {
			s := fmt.Sprintf("%10s cpu%-3d %-8s %s", dur(e.At), e.CPU, e.Kind, l)
			if e.CPU < 0 {
				s = fmt.Sprintf("%10s %-6s %-8s %s", dur(e.At), "", e.Kind, l)
			}
			if matches(m.Filter, s) {
				lines = append(lines, s)
				kinds = append(kinds, e.Kind)
			}
		}
	}
	if len(lines) == 0 {
		c.text(0, y, "no events yet (ejections, deadlocks, bpf_printk)", th.dim)
		return
	}
	rows := c.r.h - y
	// Scrolling goes back in time from the newest.
	back := c.scroll(m, PanelEvents, len(lines), rows)
	end := len(lines) - back
	start := max(end-rows, 0)
	for i := start; i < end && y < c.r.h; i++ {
		st := th.base
		if kinds[i] != "printk" {
			st = th.warn
		}
		c.text(0, y, lines[i], st)
		y++
	}
}
