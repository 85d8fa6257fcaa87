package tui_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/tui"
)

// A dashboard driven from Go, on a simulated screen: build the run, go to
// 30 ms, draw, read the screen. (schedsim top does the same on a terminal,
// with App.Run.)
func Example() {
	cfg, err := sim.ParseConfig("example.toml", []byte(`
[run]
duration = "100ms"
[machine]
cores_per_llc = 4
[[workload]]
name = "spin"
kind = "batch"
tasks = 6
`))
	if err != nil {
		panic(err)
	}
	build := func(obs sim.Observer) (*sim.Scenario, sim.Scheduler, error) {
		sched := &sim.FIFO{}
		scn, err := cfg.Build(sched, sim.Overrides{Observers: []sim.Observer{obs}})
		return scn, sched, err
	}
	s, err := tui.NewSession("fifo-go", build, tui.PolicyMaps, 1_000_000, 5_000_000)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	screen := tcell.NewSimulationScreen("UTF-8")
	screen.Init()
	screen.SetSize(80, 24)
	app := tui.NewApp(screen, "example.toml", s)
	app.Model.NoColor = true
	app.Goto(30_000_000)
	for app.Seeking() {
		app.Advance(tui.FrameInterval, farFuture)
	}
	app.Draw()
	cells, w, _ := screen.GetContents()
	line := func(y int) string {
		var b strings.Builder
		for x := 0; x < w; x++ {
			b.WriteString(string(cells[y*w+x].Runes))
		}
		return strings.TrimRight(b.String(), " ")
	}
	fmt.Println(line(0))
	fmt.Println(line(3))
	// Output:
	//  fifo-go │ example.toml │ t 0.030000s / 100ms │ speed 1/10 │ ‖ paused
	// │n0 l0  [  0 A spin-4   ][  1 A spin-5   ][  2 A spin-0   ][  3 A spin-1   ]   │
}

var farFuture = time.Now().Add(time.Hour)
