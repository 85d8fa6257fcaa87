package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
)

// snapshot16 is a hand-made snapshot of a 16-CPU machine (1 node, 2 LLCs,
// 4 cores each, 2 threads) where CPU i runs a task of workload i%3 (2 is
// idle) and CPU 5 spins on a lock.
func snapshot16() *Snapshot {
	sn := &Snapshot{Policy: "fifo", Now: 12_345_678, End: 2_000_000_000, Groups: []string{"web", "batch"}, BucketNs: 1_000_000}
	for i := 0; i < 16; i++ {
		core := i % 8
		cs := CPUSnap{ID: i, Node: 0, LLC: core / 4, Core: core, Thread: i / 8}
		switch g := i % 3; g {
		case 2:
			cs.Kind = kindIdle
		default:
			cs.Kind = kindGroup + g
			cs.PID = int32(100 + i)
			cs.Comm = fmt.Sprintf("%s-%d", sn.Groups[g], i)
		}
		if i == 5 {
			cs.Kind, cs.Lock = kindSpin, "rq_lock"
		}
		sn.CPUs = append(sn.CPUs, cs)
		tl := make([]uint8, 300)
		for j := range tl {
			tl[j] = uint8(cs.Kind)
		}
		sn.Timeline = append(sn.Timeline, tl)
	}
	return sn
}

// cellOf finds CPU id's cell on the screen (rows of cells hold '['):
// "%3d" then its kind rune (narrow), or "%3d " then the rune (wide).
func cellOf(rows []string, id int) (rune, bool) {
	pat := []rune(fmt.Sprintf("%3d", id))
	for _, r := range rows {
		if !strings.Contains(r, "[") {
			continue
		}
		rs := []rune(r)
		for x := 0; x+5 < len(rs); x++ {
			if string(rs[x:x+3]) != string(pat) || !(rs[x-1] == '[' || rs[x-1] == ' ' || isKind(rs[x-1])) {
				continue
			}
			if isKind(rs[x+3]) {
				return rs[x+3], true
			}
			if rs[x+3] == ' ' && isKind(rs[x+4]) && rs[x+5] == ' ' {
				return rs[x+4], true
			}
		}
	}
	return 0, false
}

func isKind(r rune) bool { return r == '.' || r == '*' || r == '!' || (r >= 'A' && r <= 'Z') }

// The CPU panel shows every CPU, grouped by LLC and core, with what runs on
// it: at 80x24 a letter per workload, on a wide screen the task's comm.
func TestCPUPanelShowsEveryCPU(t *testing.T) {
	sn := snapshot16()
	s := newScreen(t, 80, 24)
	m := &Model{Rate: defaultRate}
	Draw(s, m, Header{Title: "test.toml", End: sn.End}, []*Snapshot{sn})
	s.Show()
	rows := screenText(s)
	for _, c := range sn.CPUs {
		got, ok := cellOf(rows, c.ID)
		if !ok {
			t.Fatalf("CPU %d has no cell:\n%s", c.ID, strings.Join(rows, "\n"))
		}
		if want := kindRune(c.Kind); got != want {
			t.Errorf("CPU %d shows %q, want %q", c.ID, got, want)
		}
	}
	// Grouped by topology: LLC 0's cores on the line labelled n0 l0, with
	// SMT siblings 0 and 8 in one core.
	if !contains(rows, "n0 l0  [  0A  8.]") || !contains(rows, "n0 l1") {
		t.Errorf("cells not grouped by LLC and core:\n%s", strings.Join(rows, "\n"))
	}
	if !contains(rows, "A web") || !contains(rows, "B batch") || !contains(rows, "! lock spin") {
		t.Errorf("no legend:\n%s", strings.Join(rows, "\n"))
	}
	// The timeline has a row per CPU (as many as fit) filled with its kind.
	if !contains(rows, "  0 AAAAAAAAAA") || !contains(rows, "  8 ..........") {
		t.Errorf("no timeline rows:\n%s", strings.Join(rows, "\n"))
	}

	// Wide: the comm of each running task.
	s = newScreen(t, 200, 50)
	Draw(s, m, Header{}, []*Snapshot{sn})
	s.Show()
	rows = screenText(s)
	for _, c := range sn.CPUs {
		want := fmt.Sprintf("%3d %c %-8.8s", c.ID, kindRune(c.Kind), c.Comm)
		switch {
		case c.Kind == kindSpin:
			want = fmt.Sprintf("%3d ! !rq_lock", c.ID)
		case c.PID == 0:
			want = fmt.Sprintf("%3d . .", c.ID)
		}
		if !contains(rows, want) {
			t.Errorf("wide CPU panel lacks %q:\n%s", want, strings.Join(rows[:12], "\n"))
		}
	}
	// The large screen shows every panel at once.
	for _, p := range []string{"machine", "DSQs", "latency", "tasks", "policy maps", "events"} {
		if !contains(rows, p) {
			t.Errorf("large layout lacks panel %s", p)
		}
	}
}

// Every panel draws at the smallest size without overflowing its box, and
// with NO_COLOR the cells still say what runs (letters, no colour).
func TestPanelsAt80x24NoColor(t *testing.T) {
	sn := snapshot16()
	sn.Tasks = []TaskSnap{{PID: 101, Comm: "web-1", Group: "web", State: "running", CPU: 1, Runtime: 5_000_000,
		HasEEVDF: true, Vruntime: 7_000_000, Deadline: 9_800_000, Lag: -12_000}}
	sn.Locks = []LockStat{{Name: "rq_lock", Site: "eevdf.bpf.c:412", Waits: 3, WaitTotal: 3000, WaitMax: 2000}}
	sn.Events = []Event{{At: 5_000_000, CPU: 2, Kind: "printk", Text: "hello from bpf"}}
	sn.Wake = LatencySnap{Name: "wakeup", Count: 10, P50: 1000, Max: 9000}
	sn.Wake.Log[10] = 7
	sn.Wake.Log[14] = 3
	s := newScreen(t, 80, 24)
	m := &Model{Rate: defaultRate, NoColor: true}
	want := map[Panel][]string{
		PanelCPUs:    {"CPUs (16)"},
		PanelMachine: {"util", "switch/s", "migr/s"},
		PanelDSQs:    {"local DSQs"},
		PanelLatency: {"wakeup", "histogram"},
		PanelTasks:   {"web-1", "vruntime", "deadline", "lag", "7ms", "9.8ms", "-12µs"},
		PanelMaps:    {"no maps"},
		PanelEvents:  {"rq_lock", "eevdf.bpf.c:412", "hello from bpf"},
	}
	for p := Panel(0); p < numPanels; p++ {
		m.Focus = p
		Draw(s, m, Header{}, []*Snapshot{sn})
		s.Show()
		rows := screenText(s)
		for _, w := range want[p] {
			if !contains(rows, w) {
				t.Errorf("panel %s lacks %q:\n%s", p, w, strings.Join(rows, "\n"))
			}
		}
		cells, _, _ := s.GetContents()
		for _, c := range cells {
			if fg, bg, _ := c.Style.Decompose(); fg.Valid() || bg.Valid() {
				t.Fatalf("panel %s uses colour with NO_COLOR", p)
			}
		}
		// The box's right border is intact on every body row.
		for y := 3; y < 23; y++ {
			if r := []rune(rows[y]); r[79] != '│' && r[79] != '┘' {
				t.Errorf("panel %s: row %d overflows its box: %q", p, y, rows[y])
				break
			}
		}
	}
}

// An ejection shows in the header and in the machine panel.
func TestEjectionShown(t *testing.T) {
	sn := snapshot16()
	sn.Ejection = "fifo ejected: scx_bpf_error: bad dsq"
	s := newScreen(t, 120, 30)
	m := &Model{Rate: defaultRate, Focus: PanelMachine}
	Draw(s, m, Header{}, []*Snapshot{sn})
	s.Show()
	rows := screenText(s)
	if !strings.Contains(rows[0], "fifo ejected") || !contains(rows[1:], "scx_bpf_error: bad dsq") {
		t.Errorf("ejection not shown:\n%s", strings.Join(rows, "\n"))
	}
}

// The help overlay lists the keys.
func TestHelpOverlay(t *testing.T) {
	s := newScreen(t, 80, 24)
	m := &Model{Rate: defaultRate, Help: true}
	Draw(s, m, Header{}, []*Snapshot{snapshot16()})
	s.Show()
	rows := screenText(s)
	for _, w := range []string{"pause / resume", "go to a simulated time", "press any key"} {
		if !contains(rows, w) {
			t.Errorf("help lacks %q", w)
		}
	}
}

// / filters the tasks table, s sorts it; a filter applies to events too.
func TestFilterAndSort(t *testing.T) {
	sn := snapshot16()
	for i := 1; i <= 6; i++ {
		g := []string{"web", "crunch"}[i%2]
		sn.Tasks = append(sn.Tasks, TaskSnap{PID: int32(i), Comm: fmt.Sprintf("%s-%d", g, i), Group: g, State: "sleeping",
			Runtime: uint64(i%3+1) * 1_000_000, Wait: uint64(7-i) * 1000})
	}
	s := newScreen(t, 100, 24)
	m := &Model{Rate: defaultRate, Focus: PanelTasks}
	keys := func(text string) {
		for _, r := range text {
			m.Update(key(r))
		}
	}
	enter := func() { m.Update(tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone)) }
	draw := func() []string {
		Draw(s, m, Header{}, []*Snapshot{sn})
		s.Show()
		return screenText(s)
	}
	// Order of the pids in the table.
	pids := func(rows []string) string {
		var out []string
		for _, r := range rows[4:] {
			f := strings.Fields(strings.Trim(r, "│ "))
			if len(f) > 2 && (strings.HasPrefix(f[1], "web-") || strings.HasPrefix(f[1], "crunch-")) {
				out = append(out, f[0])
			}
		}
		return strings.Join(out, " ")
	}
	if got := pids(draw()); got != "1 2 3 4 5 6" {
		t.Errorf("by pid: %s", got)
	}
	keys("/crunch")
	if rows := draw(); !contains(rows, "filter: crunch") {
		t.Error("the prompt is not shown")
	}
	enter()
	if got := pids(draw()); got != "1 3 5" {
		t.Errorf("filtered on crunch: %s", got)
	}
	keys("s") // runtime, largest first, ties by pid
	rows := draw()
	if got := pids(rows); got != "5 1 3" {
		t.Errorf("crunch by runtime: %s", got)
	}
	if !contains(rows, "by runtime") {
		t.Error("the title does not name the order")
	}
	keys("s") // wait
	if got := pids(draw()); got != "1 3 5" {
		t.Errorf("crunch by wait: %s", got)
	}
	keys("/")
	m.Update(tcell.NewEventKey(tcell.KeyBackspace2, 0, tcell.ModNone))
	for m.Input != "" {
		m.Update(tcell.NewEventKey(tcell.KeyBackspace2, 0, tcell.ModNone))
	}
	enter()
	if got := pids(draw()); got != "1 2 3 4 5 6" {
		t.Errorf("filter cleared, by wait: %s", got) // waits 6000 down to 1000
	}
}

// The events panel shows the newest line at the bottom; ↑ goes back in
// time and stops at the oldest.
func TestEventsScroll(t *testing.T) {
	sn := snapshot16()
	for i := range 50 {
		sn.Events = append(sn.Events, Event{At: uint64(i) * 1000, CPU: 1, Kind: "printk", Text: fmt.Sprintf("line %02d", i)})
	}
	s := newScreen(t, 80, 24)
	m := &Model{Rate: defaultRate, Focus: PanelEvents}
	draw := func() []string {
		if sc := Draw(s, m, Header{}, []*Snapshot{sn}); sc >= 0 {
			m.Scroll[m.Focus] = sc
		}
		s.Show()
		return screenText(s)
	}
	last := func(rows []string) string {
		for i := len(rows) - 1; i >= 0; i-- {
			if j := strings.Index(rows[i], "line "); j >= 0 {
				return rows[i][j : j+7]
			}
		}
		return ""
	}
	if got := last(draw()); got != "line 49" {
		t.Errorf("bottom line %q, want the newest", got)
	}
	for range 5 {
		m.Update(tcell.NewEventKey(tcell.KeyUp, 0, tcell.ModNone))
	}
	if got := last(draw()); got != "line 44" {
		t.Errorf("after 5 ↑ the bottom line is %q", got)
	}
	for range 100 {
		m.Update(tcell.NewEventKey(tcell.KeyUp, 0, tcell.ModNone))
	}
	rows := draw()
	if !contains(rows, "line 00") {
		t.Error("scrolled back, the oldest line is not shown")
	}
	m.Update(tcell.NewEventKey(tcell.KeyDown, 0, tcell.ModNone))
	if got := last(draw()); got == last(rows) {
		t.Error("↓ after scrolling back too far does not move at once")
	}
	m.Update(tcell.NewEventKey(tcell.KeyHome, 0, tcell.ModNone))
	if got := last(draw()); got != "line 49" {
		t.Errorf("Home: bottom line %q", got)
	}
}

// Drawing never panics, whatever the size, panel and number of sessions
// (resizes go through every size).
func TestDrawAnySize(t *testing.T) {
	sn := snapshot16()
	sn.Tasks = []TaskSnap{{PID: 1, Comm: "web-1", HasEEVDF: true}}
	sn.Maps = []MapSnap{{Name: "tasks", Type: "hash", Columns: []string{"key", "vruntime"}, Rows: [][]string{{"1", "12345678901234567890"}}}}
	sn.Events = []Event{{At: 1, CPU: -1, Kind: "ejected", Text: "x\ny"}}
	sn.Wake.Count, sn.Wake.Log[5] = 3, 3
	sn.Samples = []Sample{{Util: 0.5}, {Util: 1}}
	for _, n := range []int{1, 2, 3} {
		snaps := make([]*Snapshot, n)
		for i := range snaps {
			snaps[i] = sn
		}
		s := newScreen(t, 10, 10)
		for _, w := range []int{1, 39, 40, 79, 80, 151, 210} {
			for _, h := range []int{1, 9, 10, 24, 45} {
				s.SetSize(w, h)
				for p := Panel(0); p < numPanels; p++ {
					m := &Model{Rate: defaultRate, Focus: p, Help: p == PanelEvents, Prompt: int(p) % 3}
					m.Scroll[p] = 3
					Draw(s, m, Header{Title: "t", Actual: 0.5}, snaps)
				}
			}
		}
	}
}
