package tui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
)

// rect is a region of the screen.
type rect struct{ x, y, w, h int }

// canvas draws into a region, clipping everything to it.
type canvas struct {
	s  tcell.Screen
	r  rect
	th *theme
	fb *feedback
}

// feedback is what drawing found out that the model needs: how far the
// focused panel can scroll.
type feedback struct {
	scroll int
	set    bool
}

// scroll returns the first of n lines to show in h rows of panel p: the
// model's scroll, clamped so that the last line is at the bottom at most.
func (c canvas) scroll(m *Model, p Panel, n, h int) int {
	start := max(min(m.Scroll[p], n-h), 0)
	if p == m.Focus && c.fb != nil && !c.fb.set {
		c.fb.scroll, c.fb.set = start, true
	}
	return start
}

func (c canvas) sub(x, y, w, h int) canvas {
	x, y = max(x, 0), max(y, 0)
	w, h = max(min(w, c.r.w-x), 0), max(min(h, c.r.h-y), 0)
	return canvas{c.s, rect{c.r.x + x, c.r.y + y, w, h}, c.th, c.fb}
}

// text draws str at (x, y) and returns the columns it used.
func (c canvas) text(x, y int, str string, st tcell.Style) int {
	if y < 0 || y >= c.r.h {
		return 0
	}
	// Everything drawn is one column a rune: ASCII, box drawing, blocks.
	col := x
	for _, r := range str {
		if col >= c.r.w {
			break
		}
		if col >= 0 {
			c.s.SetContent(c.r.x+col, c.r.y+y, r, nil, st)
		}
		col++
	}
	return col - x
}

// put draws one rune at (x, y).
func (c canvas) put(x, y int, r rune, st tcell.Style) {
	if x >= 0 && y >= 0 && x < c.r.w && y < c.r.h {
		c.s.SetContent(c.r.x+x, c.r.y+y, r, nil, st)
	}
}

// fill paints the region with spaces.
func (c canvas) fill(st tcell.Style) {
	for y := 0; y < c.r.h; y++ {
		for x := 0; x < c.r.w; x++ {
			c.s.SetContent(c.r.x+x, c.r.y+y, ' ', nil, st)
		}
	}
}

// box draws a frame with a title and returns the canvas inside it.
func (c canvas) box(title string, focused bool) canvas {
	if c.r.w < 2 || c.r.h < 2 {
		return c.sub(0, 0, 0, 0)
	}
	st := c.th.border
	if focused {
		st = c.th.borderFocus
	}
	for x := 1; x < c.r.w-1; x++ {
		c.s.SetContent(c.r.x+x, c.r.y, '─', nil, st)
		c.s.SetContent(c.r.x+x, c.r.y+c.r.h-1, '─', nil, st)
	}
	for y := 1; y < c.r.h-1; y++ {
		c.s.SetContent(c.r.x, c.r.y+y, '│', nil, st)
		c.s.SetContent(c.r.x+c.r.w-1, c.r.y+y, '│', nil, st)
	}
	c.s.SetContent(c.r.x, c.r.y, '┌', nil, st)
	c.s.SetContent(c.r.x+c.r.w-1, c.r.y, '┐', nil, st)
	c.s.SetContent(c.r.x, c.r.y+c.r.h-1, '└', nil, st)
	c.s.SetContent(c.r.x+c.r.w-1, c.r.y+c.r.h-1, '┘', nil, st)
	t := " " + title + " "
	if focused {
		t = "[" + title + "]"
	}
	ts := c.th.title
	if focused {
		ts = c.th.titleFocus
	}
	c.text(2, 0, t, ts)
	return c.sub(1, 1, c.r.w-2, c.r.h-2)
}

var sparks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the last w values of vs, scaled to top (or their max).
func (c canvas) sparkline(x, y, w int, vs []float64, top float64, st tcell.Style) {
	if w <= 0 {
		return
	}
	if len(vs) > w {
		vs = vs[len(vs)-w:]
	}
	if top <= 0 {
		for _, v := range vs {
			top = max(top, v)
		}
	}
	var b strings.Builder
	for _, v := range vs {
		i := 0
		if top > 0 {
			i = int(v / top * float64(len(sparks)-1))
		}
		b.WriteRune(sparks[min(max(i, 0), len(sparks)-1)])
	}
	c.text(x, y, b.String(), st)
}

// bar draws a horizontal bar of v/top over w columns.
func bar(v, top float64, w int) string {
	if top <= 0 || w <= 0 {
		return ""
	}
	eighths := int(v / top * float64(w*8))
	eighths = min(max(eighths, 0), w*8)
	full := eighths / 8
	s := strings.Repeat("█", full)
	if r := eighths % 8; r > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[r-1])
	}
	return s
}

// theme holds the styles; without colour they use attributes only.
type theme struct {
	noColor                     bool
	base, dim, bold             tcell.Style
	border, borderFocus         tcell.Style
	title, titleFocus           tcell.Style
	header, tab, tabFocus       tcell.Style
	better, worse, warn, status tcell.Style
	idle, sched, spin           tcell.Style
	groups                      []tcell.Style
}

var groupColors = []tcell.Color{tcell.ColorGreen, tcell.ColorBlue, tcell.ColorDarkCyan, tcell.ColorPurple,
	tcell.ColorOlive, tcell.ColorTeal, tcell.ColorNavy, tcell.ColorMaroon}

func newTheme(noColor bool) *theme {
	b := tcell.StyleDefault
	t := &theme{noColor: noColor, base: b, dim: b.Dim(true), bold: b.Bold(true),
		border: b.Dim(true), borderFocus: b.Bold(true), title: b, titleFocus: b.Bold(true).Reverse(true),
		header: b.Reverse(true), tab: b, tabFocus: b.Reverse(true).Bold(true),
		better: b.Bold(true), worse: b.Reverse(true), warn: b.Bold(true), status: b.Bold(true),
		idle: b.Dim(true), sched: b.Bold(true), spin: b.Bold(true).Reverse(true)}
	if noColor {
		t.groups = []tcell.Style{b.Reverse(true)}
		return t
	}
	t.borderFocus = b.Foreground(tcell.ColorYellow).Bold(true)
	t.header = b.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite)
	t.better = b.Foreground(tcell.ColorGreen).Bold(true)
	t.worse = b.Foreground(tcell.ColorRed).Bold(true)
	t.warn = b.Foreground(tcell.ColorRed).Bold(true)
	t.sched = b.Background(tcell.ColorYellow).Foreground(tcell.ColorBlack)
	t.spin = b.Background(tcell.ColorRed).Foreground(tcell.ColorWhite).Bold(true)
	for _, col := range groupColors {
		t.groups = append(t.groups, b.Background(col).Foreground(tcell.ColorWhite))
	}
	return t
}

// kindStyle and kindRune draw a CPU state.
func (t *theme) kindStyle(k int) tcell.Style {
	switch k {
	case kindIdle:
		return t.idle
	case kindSched:
		return t.sched
	case kindSpin:
		return t.spin
	}
	return t.groups[(k-kindGroup)%len(t.groups)]
}

func kindRune(k int) rune {
	switch k {
	case kindIdle:
		return '.'
	case kindSched:
		return '*'
	case kindSpin:
		return '!'
	}
	g := k - kindGroup
	switch {
	case g < 26:
		return rune('A' + g)
	case g < 52:
		return rune('a' + g - 26)
	}
	return '#'
}
