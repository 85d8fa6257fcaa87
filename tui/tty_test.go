package tui

import (
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/gdamore/tcell/v2/terminfo"
)

// nullTty is a terminal of w x h that discards what is written to it and
// never has input: tcell's real terminal screen renders to it (escape
// sequences for the changed cells), which is what `schedsim top` costs,
// unlike the SimulationScreen that tests read back.
type nullTty struct {
	w, h    int
	mu      sync.Mutex
	written int64
}

func newNullTty(w, h int) *nullTty { return &nullTty{w: w, h: h} }

func (t *nullTty) Start() error           { return nil }
func (t *nullTty) Stop() error            { return nil }
func (t *nullTty) Drain() error           { return nil }
func (t *nullTty) NotifyResize(cb func()) {}
func (t *nullTty) Close() error           { return nil }

// Read has no input: like a terminal in tcell's non-blocking mode it
// returns nothing after a while (so that the screen's input loop can
// stop).
func (t *nullTty) Read(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return 0, nil
}

func (t *nullTty) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.written += int64(len(p))
	t.mu.Unlock()
	return len(p), nil
}
func (t *nullTty) WindowSize() (tcell.WindowSize, error) {
	return tcell.WindowSize{Width: t.w, Height: t.h}, nil
}

// newTermScreen is tcell's terminal screen (xterm-256color) on a nullTty.
func newTermScreen(w, h int) (tcell.Screen, *nullTty, error) {
	ti, err := terminfo.LookupTerminfo("xterm-256color")
	if err != nil {
		return nil, nil, err
	}
	tty := newNullTty(w, h)
	s, err := tcell.NewTerminfoScreenFromTtyTerminfo(tty, ti)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Init(); err != nil {
		return nil, nil, err
	}
	return s, tty, nil
}
