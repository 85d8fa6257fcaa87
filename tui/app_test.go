package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

var far = time.Now().Add(time.Hour)

// advance moves the app on by real time dt, with no wall-clock budget.
func advance(a *App, dt time.Duration) { a.Advance(dt, far) }

// seek finishes a go-to.
func seek(t *testing.T, a *App) {
	t.Helper()
	for i := 0; a.Seeking(); i++ {
		a.Advance(FrameInterval, far)
		if i > 1000 {
			t.Fatal("go-to never arrives")
		}
	}
}

// Pause, step and go-to change simulated time as they should.
func TestPauseStepGoto(t *testing.T) {
	s := newScreen(t, 80, 24)
	a := NewApp(s, "test.toml", newSession(t, "fifo-go", goFIFO))
	a.Model.Rate = RateIndex("1/100")
	m := a.Sessions[0].Machine()

	// Running at 1/100: 500 ms of real time is 5 ms simulated.
	advance(a, 500*time.Millisecond)
	if a.Now() != 5_000_000 {
		t.Fatalf("at 1/100 after 500ms: t=%d, want 5ms", a.Now())
	}
	// Faster: + twice is 1/20, so 200 ms more is 10 ms more.
	typeKeys(a, "++")
	advance(a, 200*time.Millisecond)
	if a.Now() != 15_000_000 {
		t.Fatalf("at 1/20 after 200ms more: t=%d, want 15ms", a.Now())
	}

	// Pause: time stands still.
	typeKeys(a, " ")
	if !a.Model.Paused {
		t.Fatal("space did not pause")
	}
	advance(a, time.Second)
	if a.Now() != 15_000_000 {
		t.Fatalf("paused, time moved to %d", a.Now())
	}
	a.Draw()
	if !contains(screenText(s), "paused") {
		t.Error("header does not say paused")
	}

	// Step: exactly one event, time goes to its time.
	events := m.Events()
	typeKeys(a, ".")
	if m.Events() != events+1 {
		t.Fatalf("step ran %d events", m.Events()-events)
	}
	if a.Now() != m.Now() || a.Now() < 15_000_000 {
		t.Fatalf("after step t=%d, machine at %d", a.Now(), m.Now())
	}
	stepped := a.Now()

	// > steps one tick (HZ 1000 by default: 1 ms).
	typeKeys(a, ">")
	if a.Now() != stepped+1_000_000 || !a.Model.Paused {
		t.Fatalf("a tick from %d went to %d", stepped, a.Now())
	}
	stepped = a.Now()

	// Resume and pause again.
	typeKeys(a, " ")
	advance(a, 100*time.Millisecond)
	if a.Now() <= stepped {
		t.Fatalf("resumed, time did not move from %d", stepped)
	}
	typeKeys(a, " ")

	// Go to 120 ms (forward), then 40 ms (back: re-simulated), then 120
	// ms again: the schedule is the same.
	goTo := func(d string) {
		t.Helper()
		typeKeys(a, "g"+d)
		a.HandleEvent(tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone))
		seek(t, a)
	}
	goTo("120ms")
	if a.Now() != 120_000_000 || !a.Model.Paused {
		t.Fatalf("go to 120ms: t=%d paused=%v", a.Now(), a.Model.Paused)
	}
	m = a.Sessions[0].Machine()
	hash, switches := m.ScheduleHash(), m.Switches()
	goTo("40ms")
	if a.Now() != 40_000_000 {
		t.Fatalf("go to 40ms: t=%d", a.Now())
	}
	if a.Sessions[0].Machine() == m {
		t.Fatal("going back did not re-simulate")
	}
	m = a.Sessions[0].Machine()
	if m.Switches() >= switches {
		t.Errorf("at 40ms %d switches, at 120ms %d", m.Switches(), switches)
	}
	goTo("120ms")
	if m.ScheduleHash() != hash || m.Switches() != switches {
		t.Errorf("re-simulated to 120ms: hash %x switches %d, first time %x %d", m.ScheduleHash(), m.Switches(), hash, switches)
	}
	a.Draw()
	if !contains(screenText(s), "t 0.120000s / 200ms") {
		t.Errorf("header does not show the time:\n%s", strings.Join(screenText(s), "\n"))
	}

	// A bad time is refused with a message.
	typeKeys(a, "gsoon")
	a.HandleEvent(tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone))
	if a.Seeking() || !strings.Contains(a.Model.Status, "expected a time") {
		t.Errorf("go to 'soon': seeking=%v status %q", a.Seeking(), a.Model.Status)
	}

	// Flat out runs to the end; q quits.
	typeKeys(a, " ")
	for a.Model.Rate != len(rates)-1 {
		typeKeys(a, "+")
	}
	for i := 0; !a.allDone() && i < 10000; i++ {
		advance(a, FrameInterval)
	}
	if a.Now() != 200_000_000 {
		t.Errorf("flat out ends at %d, want 200ms", a.Now())
	}
	typeKeys(a, "q")
	if !a.Model.Quit {
		t.Error("q did not quit")
	}
}

// The CPU panel of a running machine shows what each CPU runs.
func TestCPUPanelLive(t *testing.T) {
	s := newScreen(t, 80, 24)
	a := NewApp(s, "test.toml", newSession(t, "fifo-go", goFIFO))
	a.Goto(37_000_000)
	seek(t, a)
	a.Draw()
	rows := screenText(s)
	for _, c := range a.Sessions[0].Machine().CPUs() {
		want := '.'
		if tk := c.Curr(); tk != nil {
			want = kindRune(kindGroup + tk.Group)
		}
		got, ok := cellOf(rows, c.ID)
		if !ok || got != want {
			t.Errorf("CPU %d shows %q (found %v), runs %q", c.ID, got, ok, want)
		}
	}
}

// Scrolling stops at the end of a panel's content: ↑ moves at once after
// too many ↓.
func TestScrollClamped(t *testing.T) {
	s := newScreen(t, 80, 16)
	a := NewApp(s, "test.toml", newSession(t, "fifo-go", goFIFO))
	a.Goto(20_000_000)
	seek(t, a)
	typeKeys(a, "5")
	for range 500 {
		a.HandleEvent(tcell.NewEventKey(tcell.KeyDown, 0, tcell.ModNone))
	}
	a.Draw()
	n, rows := len(a.snaps[0].Tasks), 16-6 // header, tabs, status, box, table head
	if got, want := a.Model.Scroll[PanelTasks], n-rows; got != want {
		t.Fatalf("%d tasks in %d rows: scrolled to %d, want %d", n, rows, got, want)
	}
	if text := screenText(s); !contains(text, fmt.Sprintf("crunch-%d", 9)) {
		t.Errorf("the last task is not on screen:\n%s", strings.Join(text, "\n"))
	}
	a.HandleEvent(tcell.NewEventKey(tcell.KeyUp, 0, tcell.ModNone))
	a.Draw()
	if got := a.Model.Scroll[PanelTasks]; got != n-rows-1 {
		t.Errorf("after ↑: scroll %d", got)
	}
}

// Two policies side by side: both drawn, in lockstep, differences marked.
func TestSideBySide(t *testing.T) {
	s := newScreen(t, 120, 30)
	a := NewApp(s, "test.toml", newSession(t, "fifo-go", goFIFO), newSession(t, "eevdf", bpfPolicy(t, "eevdf")))
	a.Model.Rate = RateIndex("1/10")
	advance(a, 300*time.Millisecond)
	for _, ss := range a.Sessions {
		if ss.At() != 30_000_000 {
			t.Fatalf("%s at %d, want 30ms (lockstep)", ss.Name, ss.At())
		}
	}
	typeKeys(a, " .")
	if a.Sessions[0].At() != a.Sessions[1].At() {
		t.Errorf("after a step: %d vs %d", a.Sessions[0].At(), a.Sessions[1].At())
	}
	a.Goto(150_000_000)
	seek(t, a)
	a.Model.Focus = PanelLatency
	a.Draw()
	rows := screenText(s)
	if !contains(rows, "fifo-go vs eevdf") || !contains(rows, "═ fifo-go ═") || !contains(rows, "═ eevdf ═") {
		t.Fatalf("both policies not shown:\n%s", strings.Join(rows, "\n"))
	}
	// Each half has its own latency panel.
	n := 0
	for _, r := range rows {
		n += strings.Count(r, "wakeup ")
	}
	if n < 2 {
		t.Errorf("%d wakeup latency rows, want one per policy", n)
	}
	// The same workload, different schedules: some value differs and is
	// highlighted (bold or reverse without colour, coloured with it).
	cells, _, _ := s.GetContents()
	th := newTheme(false)
	marked := 0
	for _, c := range cells {
		if c.Style == th.better || c.Style == th.worse {
			marked++
		}
	}
	if marked == 0 {
		t.Errorf("no difference highlighted:\n%s", strings.Join(rows, "\n"))
	}
}

// A resize redraws the whole screen at the new size.
func TestResize(t *testing.T) {
	s := newScreen(t, 80, 24)
	a := NewApp(s, "test.toml", newSession(t, "fifo-go", goFIFO))
	a.Draw()
	rows := screenText(s)
	if r := []rune(rows[2]); r[79] != '┐' {
		t.Fatalf("80 columns: row 2 ends %q", string(r[70:]))
	}
	s.SetSize(160, 50)
	a.HandleEvent(tcell.NewEventResize(160, 50))
	a.Draw()
	rows = screenText(s)
	if len(rows) != 50 || len([]rune(rows[0])) != 160 {
		t.Fatalf("screen is %dx%d", len([]rune(rows[0])), len(rows))
	}
	// 160x50 fits every panel: the grid layout, with boxes to the edge.
	if r := []rune(rows[1]); r[159] != '┐' {
		t.Errorf("160 columns: row 1 ends %q", string(r[150:]))
	}
	for _, p := range []string{"machine", "DSQs", "latency", "tasks", "policy maps", "events"} {
		if !contains(rows, p) {
			t.Errorf("after resize, panel %s missing", p)
		}
	}
	s.SetSize(80, 24)
	a.HandleEvent(tcell.NewEventResize(80, 24))
	a.Draw()
	rows = screenText(s)
	if !contains(rows, "1 CPUs") || contains(rows, "policy maps") {
		t.Errorf("back to 80x24: not the tabbed layout:\n%s", strings.Join(rows, "\n"))
	}
}

// The maps panel shows EEVDF's per-task map: vruntime, deadline and lag
// per pid, as the map holds them; the tasks table shows them too.
func TestMapsPanelEEVDF(t *testing.T) {
	s := newScreen(t, 140, 60)
	a := NewApp(s, "test.toml", newSession(t, "eevdf", bpfPolicy(t, "eevdf")))
	a.Goto(50_000_000)
	seek(t, a)
	a.Model.Focus = PanelMaps
	a.dirty = true
	a.Draw()
	rows := screenText(s)
	if !contains(rows, "tasks  hash") {
		t.Fatalf("no tasks map:\n%s", strings.Join(rows, "\n"))
	}
	// Find the header row of the tasks map and check every pid's row
	// against the map itself.
	var head []string
	var cells = map[string][]string{}
	in := false
	for _, r := range rows {
		f := strings.Fields(strings.Trim(r, "│ "))
		switch {
		case strings.Contains(r, "tasks  hash"):
			in = true
		case in && head == nil && len(f) > 0 && f[0] == "key":
			head = f
		case in && head != nil && len(f) > 4:
			cells[f[0]] = f
		case in && head != nil:
			in = false
		}
	}
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("tasks map has no column %s: %v", name, head)
		return -1
	}
	vr, dl, lag := col("vruntime"), col("deadline"), col("lag")
	dumps, err := a.Sessions[0].sched.(*policies.BPFPolicy).DumpMaps()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range dumps {
		if d.Name != "tasks" {
			continue
		}
		if len(d.Entries) == 0 {
			t.Fatal("the tasks map is empty")
		}
		for _, e := range d.Entries {
			pid := e.Key.String()
			row, ok := cells[pid]
			if !ok {
				continue // below the panel's end
			}
			for _, f := range []struct {
				name string
				col  int
			}{{"vruntime", vr}, {"deadline", dl}, {"lag", lag}} {
				v, ok := e.Value.Field(f.name)
				if !ok || row[f.col] != v.String() {
					t.Errorf("pid %s: %s shown %s, map holds %s", pid, f.name, row[f.col], v.String())
				}
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("only %d pids checked:\n%s", checked, strings.Join(rows, "\n"))
	}

	// The tasks table has the same figures, as durations.
	a.Model.Focus = PanelTasks
	a.dirty = true
	a.Draw()
	rows = screenText(s)
	if !contains(rows, "vruntime") || !contains(rows, "deadline") || !contains(rows, "lag") {
		t.Errorf("tasks table without EEVDF columns:\n%s", strings.Join(rows[:6], "\n"))
	}
	for _, ts := range a.snaps[0].Tasks {
		if ts.Group == "web" && !ts.HasEEVDF {
			t.Errorf("task %d has no EEVDF figures", ts.PID)
		}
	}
}

// The dashboard does not change the schedule: run in small slices with
// snapshots and draws between them, it ends with the schedule hash of a
// plain run.
func TestDashboardKeepsSchedule(t *testing.T) {
	b := build(t, bpfPolicy(t, "eevdf"))
	scn, sched, err := b(BaseObserverForTest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scn.Run(); err != nil {
		t.Fatal(err)
	}
	want := scn.Machine.ScheduleHash()
	sched.(*policies.BPFPolicy).Close()

	s := newScreen(t, 100, 30)
	a := NewApp(s, "test.toml", newSession(t, "eevdf", bpfPolicy(t, "eevdf")))
	a.Model.Rate = RateIndex("1/10")
	for i := 0; !a.allDone(); i++ {
		a.chunk = uint64(1000 + 37_000*(i%7)) // odd slices
		a.Advance(30*time.Millisecond, far)
		a.Model.Focus = Panel(i % int(numPanels))
		a.dirty = true
		a.Draw()
		if i == 10 {
			typeKeys(a, ".") // a step, then resume
			typeKeys(a, " ")
		}
	}
	if got := a.Sessions[0].Machine().ScheduleHash(); got != want {
		t.Errorf("schedule hash under the dashboard %x, plain run %x", got, want)
	}
}

// BaseObserverForTest stands for "no observer" in a Build.
type BaseObserverForTest struct{ sim.BaseObserver }

// Every example config runs under the dashboard and every panel draws, at
// the smallest size and on a large screen (a smoke test: no panic, the
// CPU panel names every CPU).
func TestEveryConfig(t *testing.T) {
	entries, err := configs.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".toml") {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			data, _ := configs.FS.ReadFile(e.Name())
			cfg, err := sim.ParseConfig(e.Name(), data)
			if err != nil {
				t.Fatal(err)
			}
			d := cfg.Run.Warmup + 20_000_000
			b := func(obs sim.Observer) (*sim.Scenario, sim.Scheduler, error) {
				scn, err := cfg.Build(&sim.FIFO{}, sim.Overrides{Duration: &d, Observers: []sim.Observer{obs}})
				return scn, &sim.FIFO{}, err
			}
			s, err := NewSession("fifo-go", b, PolicyMaps, 1_000_000, 5_000_000)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			scr := newScreen(t, 80, 24)
			a := NewApp(scr, e.Name(), s)
			a.Goto(cfg.Run.Warmup + 10_000_000)
			seek(t, a)
			for _, size := range [][2]int{{80, 24}, {200, 60}} {
				scr.SetSize(size[0], size[1])
				a.HandleEvent(tcell.NewEventResize(size[0], size[1]))
				for p := Panel(0); p < numPanels; p++ {
					a.Model.Focus = p
					a.dirty = true
					a.Draw()
				}
			}
			if n := len(a.snaps[0].CPUs); n != len(s.Machine().CPUs()) {
				t.Errorf("snapshot has %d CPUs, machine %d", n, len(s.Machine().CPUs()))
			}
		})
	}
}

// The policy's maps are decoded again only when simulated time moved and
// the refresh interval passed; the tasks table alone decodes only the
// per-task map.
func TestMapsThrottled(t *testing.T) {
	var calls []string
	reader := func(s sim.Scheduler, only string) []MapSnap {
		calls = append(calls, only)
		return PolicyMaps(s, only)
	}
	s, err := NewSession("eevdf", build(t, bpfPolicy(t, "eevdf")), reader, 1_000_000, 5_000_000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now()
	s.RunUntil(20_000_000)
	all := need{maps: true, now: t0, every: 250 * time.Millisecond}
	if sn := Take(s, all); len(sn.Maps) < 2 || len(calls) != 1 || calls[0] != "" {
		t.Fatalf("first snapshot: %d maps, calls %q", len(sn.Maps), calls)
	}
	Take(s, all) // same time: no decoding
	s.RunUntil(30_000_000)
	all.now = t0.Add(100 * time.Millisecond)
	Take(s, all) // moved, but too soon
	if len(calls) != 1 {
		t.Fatalf("decoded again too soon: %q", calls)
	}
	all.now = t0.Add(300 * time.Millisecond)
	Take(s, all)
	if len(calls) != 2 {
		t.Fatalf("not decoded again after the interval: %q", calls)
	}
	s.RunUntil(40_000_000)
	tasks := need{tasks: true, now: t0.Add(600 * time.Millisecond), every: 250 * time.Millisecond}
	sn := Take(s, tasks)
	if len(calls) != 3 || calls[2] != "tasks" || len(sn.Maps) != 1 || !sn.Tasks[0].HasEEVDF {
		t.Errorf("tasks only: calls %q, %d maps, task 0 EEVDF %v", calls, len(sn.Maps), sn.Tasks[0].HasEEVDF)
	}
}
