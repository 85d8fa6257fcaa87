package tui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// testConfig is a small machine (2 LLCs x 2 cores x 2 threads) with a
// server and a batch workload.
const testConfig = `
[run]
duration = "200ms"
warmup = "10ms"
seed = 7
[machine]
llcs_per_node = 2
cores_per_llc = 2
threads_per_core = 2
[[workload]]
name = "web"
kind = "server"
workers = 8
rate = 4000
service = { dist = "exp", mean = "500us" }
[[workload]]
name = "crunch"
kind = "batch"
tasks = 10
`

// newScreen returns a simulation screen of w x h.
func newScreen(t *testing.T, w, h int) tcell.SimulationScreen {
	t.Helper()
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	s.SetSize(w, h)
	t.Cleanup(s.Fini)
	return s
}

// screenText returns the screen's rows as strings.
func screenText(s tcell.SimulationScreen) []string {
	cells, w, h := s.GetContents()
	rows := make([]string, h)
	for y := 0; y < h; y++ {
		var b strings.Builder
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) == 0 {
				b.WriteRune(' ')
			} else {
				b.WriteString(string(c.Runes))
			}
		}
		rows[y] = b.String()
	}
	return rows
}

func contains(rows []string, sub string) bool {
	for _, r := range rows {
		if strings.Contains(r, sub) {
			return true
		}
	}
	return false
}

// build returns a Build of testConfig under the policy made by mk.
func build(t testing.TB, mk func(ncpu int) sim.Scheduler) Build {
	cfg, err := sim.ParseConfig("test.toml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	return func(obs sim.Observer) (*sim.Scenario, sim.Scheduler, error) {
		sched := mk(8)
		scn, err := cfg.Build(sched, sim.Overrides{Observers: []sim.Observer{obs}})
		return scn, sched, err
	}
}

func goFIFO(int) sim.Scheduler { return &sim.FIFO{} }

func bpfPolicy(t testing.TB, name string) func(int) sim.Scheduler {
	return func(ncpu int) sim.Scheduler {
		obj, err := policies.ParseObject(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := policies.LoadObject(obj, policies.Options{NumCPUs: ncpu})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func newSession(t testing.TB, name string, mk func(int) sim.Scheduler) *Session {
	t.Helper()
	s, err := NewSession(name, build(t, mk), PolicyMaps, 1_000_000, 5_000_000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func key(r rune) *tcell.EventKey { return tcell.NewEventKey(tcell.KeyRune, r, tcell.ModNone) }

func typeKeys(a *App, text string) {
	for _, r := range text {
		a.HandleEvent(key(r))
	}
}

func newBenchScreen(w, h int) tcell.SimulationScreen {
	s := tcell.NewSimulationScreen("UTF-8")
	s.Init()
	s.SetSize(w, h)
	return s
}
