package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/schedsim/schedsim/sim"
)

// Header is what the top line shows besides the snapshots.
type Header struct {
	Title   string
	End     uint64
	Seeking bool
	SeekTo  uint64
	Done    bool
	// Actual is the speed reached lately (simulated per real time), 0 if
	// not known or not running.
	Actual float64
}

// MinWidth and MinHeight are the smallest screen the dashboard lays out;
// below it says so.
const (
	MinWidth  = 80
	MinHeight = 24
)

// large reports whether every panel fits at once (a grid) instead of one
// panel at a time behind a tab bar.
func large(w, h, sessions int) bool { return w/sessions >= 150 && h >= 45 }

// Draw draws the whole dashboard: a function of the model, the header and
// the snapshots (one per session), and the screen size. It returns how far
// the focused panel is scrolled, clamped to its content (the model's
// scroll may ask for more), or -1 if the panel does not scroll.
func Draw(s tcell.Screen, m *Model, hd Header, snaps []*Snapshot) int {
	th := newTheme(m.NoColor)
	w, h := s.Size()
	fb := &feedback{}
	c := canvas{s, rect{0, 0, w, h}, th, fb}
	s.Fill(' ', th.base) // one call, not one per cell
	if w < 40 || h < 10 {
		c.text(0, 0, fmt.Sprintf("schedsim top needs %dx%d (this is %dx%d)", MinWidth, MinHeight, w, h), th.warn)
		return -1
	}
	drawHeader(c.sub(0, 0, w, 1), m, hd, snaps)
	body := c.sub(0, 1, w, h-2)
	n := len(snaps)
	if !large(w, h, n) {
		drawTabs(c.sub(0, 1, w, 1), m)
		body = c.sub(0, 2, w, h-3)
	}
	// Side by side: one column per session, a rule between them.
	colW := (w - (n - 1)) / n
	for i, sn := range snaps {
		x := i * (colW + 1)
		cw := colW
		if i == n-1 {
			cw = w - x
		}
		var other *Snapshot
		if n == 2 {
			other = snaps[1-i]
		}
		col := body.sub(x, 0, cw, body.r.h)
		if n > 1 {
			col.text(0, 0, center(" "+sn.Policy+" ", cw, '═'), th.bold)
			col = col.sub(0, 1, cw, col.r.h-1)
			if i > 0 {
				for y := 0; y < body.r.h; y++ {
					s.SetContent(body.r.x+x-1, body.r.y+y, '┃', nil, th.border)
				}
			}
		}
		drawPanels(col, m, sn, other, large(w, h, n))
	}
	drawStatus(c.sub(0, h-1, w, 1), m)
	if m.Help {
		drawHelp(c)
	}
	if !fb.set {
		return -1
	}
	return fb.scroll
}

func center(s string, w int, pad rune) string {
	n := len([]rune(s))
	if n >= w {
		return s
	}
	l := (w - n) / 2
	return strings.Repeat(string(pad), l) + s + strings.Repeat(string(pad), w-n-l)
}

func drawHeader(c canvas, m *Model, hd Header, snaps []*Snapshot) {
	th := c.th
	c.fill(th.header)
	names := make([]string, len(snaps))
	for i, sn := range snaps {
		names[i] = sn.Policy
	}
	state := "▶ running"
	switch {
	case hd.Seeking:
		state = "» going to " + dur(hd.SeekTo)
	case hd.Done:
		state = "■ finished"
	case m.Paused:
		state = "‖ paused"
	}
	now := uint64(0)
	if len(snaps) > 0 {
		now = snaps[0].Now
	}
	for _, sn := range snaps {
		if sn.Ejection != "" {
			state += " │ !! " + sn.Policy + " ejected (events panel)"
		}
	}
	// The parts, most important first; those that do not fit are left out.
	speed := "speed " + m.RateLabel()
	if hd.Actual > 0 && (rates[m.Rate].f == 0 || hd.Actual < 0.9*rates[m.Rate].f) {
		speed += fmt.Sprintf(" (%.3gx)", hd.Actual) // flat out, or not keeping up
	}
	parts := []string{fmt.Sprintf("t %s / %s", clock(now), dur(hd.End)), state, speed,
		strings.Join(names, " vs "), hd.Title, "schedsim top"}
	for len(parts) > 1 && len([]rune(" "+strings.Join(parts, " │ "))) > c.r.w {
		parts = parts[:len(parts)-1]
	}
	order := []int{5, 3, 4, 0, 2, 1} // display order: name, policies, title, time, speed, state
	var shown []string
	for _, i := range order {
		if i < len(parts) {
			shown = append(shown, parts[i])
		}
	}
	left := " " + strings.Join(shown, " │ ")
	c.text(0, 0, left, th.header.Bold(true))
	right := "? help  q quit "
	if c.r.w-len([]rune(left)) > len(right)+1 {
		c.text(c.r.w-len(right), 0, right, th.header)
	}
}

func drawTabs(c canvas, m *Model) {
	x := 0
	for p := Panel(0); p < numPanels; p++ {
		st := c.th.tab
		label := fmt.Sprintf(" %d %s ", p+1, p)
		if p == m.Focus {
			st = c.th.tabFocus
		}
		x += c.text(x, 0, label, st)
		x += c.text(x, 0, " ", c.th.base)
	}
}

func drawStatus(c canvas, m *Model) {
	th := c.th
	switch m.Prompt {
	case promptFilter:
		c.text(0, 0, "filter: "+m.Input+"█", th.status)
		return
	case promptGoto:
		c.text(0, 0, "go to time (e.g. 150ms, 1.2s): "+m.Input+"█", th.status)
		return
	}
	if m.Status != "" {
		c.text(0, 0, m.Status, th.warn)
		return
	}
	hint := "space pause  . step  > tick  +/- speed  g go to  tab/←→ panel  ↑↓ scroll  / filter  s sort  ? help  q quit"
	if m.Filter != "" {
		hint = "filter \"" + m.Filter + "\" │ " + hint
	}
	c.text(0, 0, hint, th.dim)
}

var helpLines = []string{
	"schedsim top: keys",
	"",
	"space      pause / resume",
	".          step: one event (pauses)      >   one tick",
	"+ / -      faster / slower (1/10000 of real time .. max)",
	"g          go to a simulated time (back: re-simulates)",
	"tab ← →    next / previous panel   1-7: panel by number",
	"↑ ↓ PgUp PgDn Home   scroll the panel",
	"/          filter tasks, map entries and events",
	"s          sort tasks (pid, runtime, wait, ...)",
	"?          this help      q   quit",
	"",
	"CPU cells: A-Z workload running  . idle  * scheduler code  ! lock spin",
	"",
	"press any key to close",
}

func drawHelp(c canvas) {
	w := 0
	for _, l := range helpLines {
		w = max(w, len([]rune(l)))
	}
	bw, bh := min(w+4, c.r.w), min(len(helpLines)+2, c.r.h)
	b := c.sub((c.r.w-bw)/2, (c.r.h-bh)/2, bw, bh)
	b.fill(c.th.base)
	in := b.box("help", true)
	for i, l := range helpLines {
		in.text(1, i, l, c.th.base)
	}
}

// drawPanels lays out the panels of one session: all of them in a grid
// when they fit, else the focused one.
func drawPanels(c canvas, m *Model, sn, other *Snapshot, grid bool) {
	if !grid {
		drawPanel(c, m.Focus, m, sn, other, true)
		return
	}
	w, h := c.r.w, c.r.h
	cpuH := min(cpusHeight(sn, w), h/3)
	midH := min(12, (h-cpuH)/2)
	third := w / 3
	rects := map[Panel]rect{
		PanelCPUs:    {0, 0, w, cpuH},
		PanelMachine: {0, cpuH, third, midH},
		PanelDSQs:    {third, cpuH, third, midH},
		PanelLatency: {2 * third, cpuH, w - 2*third, midH},
		PanelTasks:   {0, cpuH + midH, w / 2, h - cpuH - midH},
		PanelMaps:    {w / 2, cpuH + midH, w - w/2, (h - cpuH - midH) / 2},
		PanelEvents:  {w / 2, cpuH + midH + (h-cpuH-midH)/2, w - w/2, h - cpuH - midH - (h-cpuH-midH)/2},
	}
	for p := Panel(0); p < numPanels; p++ {
		r := rects[p]
		drawPanel(c.sub(r.x, r.y, r.w, r.h), p, m, sn, other, p == m.Focus)
	}
}

func drawPanel(c canvas, p Panel, m *Model, sn, other *Snapshot, focused bool) {
	in := c.box(panelTitle(p, m, sn), focused)
	switch p {
	case PanelCPUs:
		drawCPUs(in, m, sn, other)
	case PanelMachine:
		drawMachine(in, m, sn, other)
	case PanelDSQs:
		drawDSQs(in, m, sn)
	case PanelLatency:
		drawLatency(in, m, sn, other)
	case PanelTasks:
		drawTasks(in, m, sn)
	case PanelMaps:
		drawMaps(in, m, sn)
	case PanelEvents:
		drawEvents(in, m, sn)
	}
}

func panelTitle(p Panel, m *Model, sn *Snapshot) string {
	switch p {
	case PanelCPUs:
		return fmt.Sprintf("CPUs (%d)", len(sn.CPUs))
	case PanelTasks:
		return fmt.Sprintf("tasks (%d) by %s", len(sn.Tasks), taskSorts[m.Sort])
	case PanelMaps:
		return fmt.Sprintf("policy maps (%d)", len(sn.Maps))
	}
	return p.String()
}

func dur(ns uint64) string { return sim.FormatDuration(ns) }

// clock prints a simulated time to the microsecond, as perf prints
// timestamps: 0.300500s.
func clock(ns uint64) string {
	return fmt.Sprintf("%d.%06ds", ns/1_000_000_000, ns%1_000_000_000/1000)
}

// fmtRate prints a rate compactly (12.3k).
func fmtRate(f float64) string {
	switch {
	case f >= 1e6:
		return fmt.Sprintf("%.1fM", f/1e6)
	case f >= 1e4:
		return fmt.Sprintf("%.0fk", f/1e3)
	case f >= 1e3:
		return fmt.Sprintf("%.1fk", f/1e3)
	}
	return fmt.Sprintf("%.0f", f)
}
