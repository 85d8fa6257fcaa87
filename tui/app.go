package tui

import (
	"fmt"
	"os"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/schedsim/schedsim/sim"
)

// FrameInterval is the redraw period: about 20 frames a second.
const FrameInterval = 50 * time.Millisecond

// App is the dashboard: the model, the sessions it shows (one, or several
// policies side by side in lockstep) and the screen.
type App struct {
	Screen   tcell.Screen
	Model    Model
	Sessions []*Session
	// Title is the scenario as the header names it (config, seed).
	Title string
	// MapInterval is the least wall time between two decodings of the
	// policy's maps while the simulation runs (decoding a large policy's
	// maps takes milliseconds).
	MapInterval time.Duration

	seeking bool
	seekTo  uint64
	chunk   uint64 // simulated ns per RunUntil slice, adapted to take ~1-4 ms
	dirty   bool
	snaps   []*Snapshot

	lastFrame time.Time     // when the last flat-out frame ended
	drawCost  time.Duration // what drawing the last frame took
	actual    float64       // simulated per real time lately (smoothed), for the header
}

// NewApp returns a dashboard of sessions on screen (which the caller has
// initialised). NO_COLOR in the environment turns colours off.
func NewApp(screen tcell.Screen, title string, sessions ...*Session) *App {
	a := &App{Screen: screen, Title: title, Sessions: sessions, chunk: 100_000, dirty: true,
		MapInterval: 250 * time.Millisecond}
	a.Model.Rate = defaultRate
	a.Model.NoColor = os.Getenv("NO_COLOR") != ""
	return a
}

// Now is the simulated time the dashboard stands at (every session stands
// at the same time: they advance in lockstep).
func (a *App) Now() uint64 { return a.Sessions[0].At() }

// End is the longest run's duration.
func (a *App) End() uint64 {
	var e uint64
	for _, s := range a.Sessions {
		e = max(e, s.End())
	}
	return e
}

func (a *App) allDone() bool {
	for _, s := range a.Sessions {
		if !s.Done() {
			return false
		}
	}
	return true
}

// Seeking reports whether a go-to is still under way.
func (a *App) Seeking() bool { return a.seeking }

// HandleEvent applies a terminal event: keys update the model and may
// step or move the simulation; a resize redraws.
func (a *App) HandleEvent(ev tcell.Event) {
	switch ev := ev.(type) {
	case *tcell.EventInterrupt:
		a.Model.Quit = true // a signal (schedsim top posts one on SIGTERM)
	case *tcell.EventResize:
		a.Screen.Sync()
		a.dirty = true
	case *tcell.EventKey:
		a.dirty = true
		switch a.Model.Update(ev) {
		case ActStep:
			a.seeking = false
			a.Step()
		case ActTick:
			a.seeking = false
			a.StepTick()
		case ActGoto:
			d, err := sim.ParseDuration(a.Model.Input)
			if err != nil {
				a.Model.Status = fmt.Sprintf("go to %q: expected a time such as 150ms or 1.2s", a.Model.Input)
				return
			}
			if err := a.Goto(d); err != nil {
				a.Model.Status = err.Error()
			}
		}
	}
}

// Step processes one event of the first session (the others catch up to
// its time, so they stay in lockstep).
func (a *App) Step() {
	lead := a.Sessions[0]
	for _, s := range a.Sessions {
		if !s.Done() {
			lead = s
			break
		}
	}
	lead.Step()
	for _, s := range a.Sessions {
		if s != lead {
			s.RunUntil(lead.At())
		}
	}
	a.dirty = true
}

// StepTick advances every session by one scheduler tick of the first
// (1/HZ of simulated time).
func (a *App) StepTick() {
	hz := uint64(max(a.Sessions[0].Machine().P.HZ, 1))
	t := min(a.Now()+1_000_000_000/hz, a.End())
	for _, s := range a.Sessions {
		s.RunUntil(t)
	}
	a.dirty = true
}

// Goto moves the dashboard to simulated time t: forward by running on,
// back by re-simulating from the start (the run is deterministic, so it
// reaches the same state). The move happens over the next Advance calls;
// the dashboard is paused when it arrives.
func (a *App) Goto(t uint64) error {
	t = min(t, a.End())
	if t < a.Now() {
		for _, s := range a.Sessions {
			if err := s.restart(); err != nil {
				return err
			}
		}
	}
	a.Model.Paused = true
	a.seeking, a.seekTo = true, t
	a.dirty = true
	return nil
}

// Advance moves the simulation on after real time dt has passed: by dt
// times the speed, as far as it gets before deadline when flat out or
// going to a time. It reports whether the simulated time moved.
func (a *App) Advance(dt time.Duration, deadline time.Time) bool {
	var target uint64
	switch {
	case a.seeking:
		target = a.seekTo
	case a.Model.Paused || a.allDone():
		return false
	case rates[a.Model.Rate].f == 0:
		target = a.End()
	default:
		target = a.Now() + uint64(float64(dt.Nanoseconds())*rates[a.Model.Rate].f)
	}
	before := a.Now()
	t0 := time.Now()
	a.runTo(target, deadline)
	if el := max(dt, time.Since(t0)); el > 0 && !a.seeking {
		r := float64(a.Now()-before) / float64(el.Nanoseconds())
		if a.actual == 0 {
			a.actual = r
		}
		a.actual = 0.8*a.actual + 0.2*r
	}
	if a.seeking && (a.Now() >= a.seekTo || a.allDone()) {
		a.seeking = false
	}
	moved := a.Now() != before
	a.dirty = a.dirty || moved
	return moved
}

// runTo advances every session to target in slices, until deadline.
func (a *App) runTo(target uint64, deadline time.Time) {
	for a.Now() < target && !a.allDone() {
		next := min(target, a.Now()+a.chunk)
		t0 := time.Now()
		for _, s := range a.Sessions {
			s.RunUntil(next)
		}
		// Pacing only: where a slice ends never changes the schedule.
		el := time.Since(t0)
		switch {
		case el < time.Millisecond && a.chunk < 1<<40:
			a.chunk *= 2
		case el > 4*time.Millisecond && a.chunk > 1000:
			a.chunk /= 2
		}
		if !time.Now().Before(deadline) {
			return
		}
	}
}

// Snapshots takes the sessions' snapshots, with what the visible panels
// need.
func (a *App) Snapshots() []*Snapshot {
	n := a.need()
	snaps := make([]*Snapshot, len(a.Sessions))
	for i, s := range a.Sessions {
		snaps[i] = Take(s, n)
	}
	return snaps
}

// Draw redraws the screen from fresh snapshots, if anything changed.
func (a *App) Draw() {
	if !a.dirty {
		return
	}
	a.snaps = a.Snapshots()
	if sc := Draw(a.Screen, &a.Model, a.view(), a.snaps); sc >= 0 {
		a.Model.Scroll[a.Model.Focus] = sc
	}
	a.Screen.Show()
	a.dirty = false
}

// view is what the header needs from the app.
func (a *App) view() Header {
	h := Header{Title: a.Title, End: a.End(), Seeking: a.seeking, SeekTo: a.seekTo, Done: a.allDone()}
	if !a.Model.Paused && !h.Done && !h.Seeking {
		h.Actual = a.actual
	}
	return h
}

// need says which costly parts the visible panels draw.
func (a *App) need() need {
	w, h := a.Screen.Size()
	n := need{now: time.Now(), every: a.MapInterval}
	if large(w, h, len(a.Sessions)) {
		n.tasks, n.maps = true, true
		return n
	}
	n.tasks, n.maps = a.Model.Focus == PanelTasks, a.Model.Focus == PanelMaps
	return n
}

// FlatOutFrame runs the simulation flat out until the next frame is due,
// then draws it. A frame lasts FrameInterval, or longer when drawing is
// slow (a loaded machine, a large screen): drawing takes at most a tenth of
// the time, so that it never holds the simulation back by more than that.
func (a *App) FlatOutFrame() {
	start := time.Now()
	if a.lastFrame.IsZero() {
		a.lastFrame = start
	}
	a.Advance(start.Sub(a.lastFrame), a.lastFrame.Add(max(FrameInterval, 9*a.drawCost)))
	t := time.Now()
	a.Draw()
	a.lastFrame = time.Now()
	a.drawCost = a.lastFrame.Sub(t)
}

// Run runs the dashboard until q: keys are read by tcell's goroutine and
// handed over on a channel; this goroutine alone runs the simulation, in
// slices between frames, and draws.
func (a *App) Run() error {
	evs := make(chan tcell.Event, 64)
	quit := make(chan struct{})
	defer close(quit)
	go a.Screen.ChannelEvents(evs, quit)
	frame := time.NewTicker(FrameInterval)
	defer frame.Stop()
	last := time.Now()
	a.Draw()
	for !a.Model.Quit {
		busy := a.seeking || (!a.Model.Paused && !a.allDone() && rates[a.Model.Rate].f == 0)
		if busy {
			// Flat out: run until the frame is due, then draw.
			select {
			case ev, ok := <-evs:
				if !ok {
					return nil
				}
				a.HandleEvent(ev)
				continue
			default:
			}
			a.FlatOutFrame()
			last = time.Now()
			continue
		}
		select {
		case ev, ok := <-evs:
			if !ok {
				return nil
			}
			a.HandleEvent(ev)
			a.Draw()
		case <-frame.C:
			now := time.Now()
			dt := now.Sub(last)
			last = now
			a.Advance(dt, now.Add(FrameInterval*9/10))
			a.Draw()
		}
	}
	return nil
}
