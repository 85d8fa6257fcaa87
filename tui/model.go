package tui

import (
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
)

// Panel names a panel of the dashboard.
type Panel int

const (
	PanelCPUs Panel = iota
	PanelMachine
	PanelDSQs
	PanelLatency
	PanelTasks
	PanelMaps
	PanelEvents
	numPanels
)

var panelNames = [numPanels]string{"CPUs", "machine", "DSQs", "latency", "tasks", "maps", "events"}

func (p Panel) String() string { return panelNames[p] }

// rate is a speed of the simulation: simulated time per real time.
type rate struct {
	label string
	f     float64 // 0: flat out
}

// rates are the speeds + and - step through.
var rates = []rate{
	{"1/10000", 1e-4}, {"1/5000", 2e-4}, {"1/2000", 5e-4}, {"1/1000", 1e-3}, {"1/500", 2e-3},
	{"1/200", 5e-3}, {"1/100", 1e-2}, {"1/50", 2e-2}, {"1/20", 5e-2}, {"1/10", 0.1}, {"1/5", 0.2},
	{"1/2", 0.5}, {"1x", 1}, {"2x", 2}, {"5x", 5}, {"10x", 10}, {"max", 0},
}

// RateIndex returns the index of the speed called label ("1/100", "2x",
// "max"), or -1.
func RateIndex(label string) int {
	for i, r := range rates {
		if r.label == label {
			return i
		}
	}
	return -1
}

// RateLabels lists the speeds, for a usage message.
func RateLabels() string {
	var b strings.Builder
	for i, r := range rates {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.label)
	}
	return b.String()
}

// defaultRate is 1/10: a tenth of a simulated second per second.
const defaultRate = 9

// Prompts the status line can hold.
const (
	promptNone = iota
	promptFilter
	promptGoto
)

// taskSorts are the orders `s` cycles through.
var taskSorts = []string{"pid", "runtime", "wait", "switch", "migr", "cpu", "state", "vruntime", "lag"}

// Model is the dashboard's UI state. It holds no simulation state: the
// sessions do, and snapshots carry it to the views.
type Model struct {
	Focus   Panel
	Paused  bool
	Rate    int // index into rates
	Help    bool
	Prompt  int
	Input   string // the prompt's text so far
	Filter  string // tasks, maps and events rows must contain it
	Sort    int    // index into taskSorts
	Scroll  [numPanels]int
	Status  string // a message for the status line (an error, a note)
	NoColor bool
	Quit    bool
}

// Action is what a key asks of the simulation, which the model does not
// own: the App carries it out.
type Action int

const (
	ActNone Action = iota
	ActStep
	ActTick // step one scheduler tick (1/HZ of simulated time)
	ActGoto // to GotoNs
	ActRedraw
)

// Update applies a key to the model and returns what the simulation must
// do. Go-to returns the time parsed from the prompt through parse.
func (m *Model) Update(ev *tcell.EventKey) Action {
	if m.Prompt != promptNone {
		return m.updatePrompt(ev)
	}
	if m.Help {
		// Any key closes the help; q still quits.
		m.Help = false
		if ev.Key() == tcell.KeyRune && ev.Rune() == 'q' {
			m.Quit = true
		}
		return ActRedraw
	}
	m.Status = ""
	switch ev.Key() {
	case tcell.KeyTab, tcell.KeyRight:
		m.Focus = (m.Focus + 1) % numPanels
	case tcell.KeyBacktab, tcell.KeyLeft:
		m.Focus = (m.Focus + numPanels - 1) % numPanels
	case tcell.KeyUp:
		m.scroll(-1)
	case tcell.KeyDown:
		m.scroll(1)
	case tcell.KeyPgUp:
		m.scroll(-10)
	case tcell.KeyPgDn:
		m.scroll(10)
	case tcell.KeyHome:
		m.Scroll[m.Focus] = 0
	case tcell.KeyCtrlC, tcell.KeyEscape:
		if ev.Key() == tcell.KeyCtrlC {
			m.Quit = true
		}
	case tcell.KeyRune:
		switch r := ev.Rune(); r {
		case 'q':
			m.Quit = true
		case ' ':
			m.Paused = !m.Paused
		case '.':
			m.Paused = true
			return ActStep
		case '>':
			m.Paused = true
			return ActTick
		case '+', '=':
			m.Rate = min(m.Rate+1, len(rates)-1)
		case '-', '_':
			m.Rate = max(m.Rate-1, 0)
		case 'g':
			m.Prompt, m.Input = promptGoto, ""
		case '/':
			m.Prompt, m.Input = promptFilter, m.Filter
		case 's':
			m.Sort = (m.Sort + 1) % len(taskSorts)
			m.Focus = PanelTasks
		case '?', 'h':
			m.Help = true
		default:
			if r >= '1' && r <= '0'+rune(numPanels) {
				m.Focus = Panel(r - '1')
			}
		}
	}
	return ActRedraw
}

// scroll moves the focused panel's view by n lines down (up if n < 0).
// The events panel counts its scroll back from the newest line, at the
// bottom: down is towards it.
func (m *Model) scroll(n int) {
	if m.Focus == PanelEvents {
		n = -n
	}
	m.Scroll[m.Focus] = max(m.Scroll[m.Focus]+n, 0)
}

func (m *Model) updatePrompt(ev *tcell.EventKey) Action {
	switch ev.Key() {
	case tcell.KeyEscape, tcell.KeyCtrlC:
		m.Prompt = promptNone
	case tcell.KeyEnter:
		p := m.Prompt
		m.Prompt = promptNone
		if p == promptFilter {
			m.Filter = m.Input
			m.Scroll[PanelTasks], m.Scroll[PanelMaps], m.Scroll[PanelEvents] = 0, 0, 0
			return ActRedraw
		}
		return ActGoto
	case tcell.KeyBackspace, tcell.KeyBackspace2:
		if r := []rune(m.Input); len(r) > 0 {
			m.Input = string(r[:len(r)-1])
		}
	case tcell.KeyRune:
		m.Input += string(ev.Rune())
	}
	return ActRedraw
}

// RateLabel is the speed as the header shows it.
func (m *Model) RateLabel() string { return rates[m.Rate].label }

func itoa(n int) string { return strconv.Itoa(n) }
