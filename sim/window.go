package sim

import "fmt"

// The measured window: every metric of a Result covers the same span,
// from the end of Params.Warmup (or 0) to the end of the run. Counters are
// cumulative; startWindow snapshots them, results subtract the snapshot,
// and maxima restart from 0.

// DefaultStarvation is the default Params.Starvation.
const DefaultStarvation = 100_000_000

func (m *Machine) armWindow() {
	if m.P.Warmup == 0 {
		return
	}
	m.push(event{at: m.P.Warmup, kind: evFunc, cpu: -1, fn: m.startWindow})
}

func (m *Machine) startWindow() {
	m.winStart = m.now
	for _, c := range m.cpus {
		if c.co == nil || !c.co.busy { // a suspended path accounts at its end
			m.account(c)
		}
		c.win = c.Stats
	}
	m.winSwitches = m.switches
	for _, t := range m.tasks {
		t.win = t.Stats
		t.Stats.DelayMax, t.Stats.WakeLatMax = 0, 0
	}
	m.lag.startWindow(m)
}

// WindowStart is when the measured window began (the end of the warmup).
func (m *Machine) WindowStart() uint64 { return m.winStart }

// WindowRuntime is the CPU time t received in the measured window.
func (m *Machine) WindowRuntime(t *Task) uint64 { return t.Stats.Runtime - t.win.Runtime }

// StarvationResult says whether tasks were kept from running.
type StarvationResult struct {
	// ThresholdNs is the wait that counts as starvation (run.starvation).
	ThresholdNs uint64 `json:"threshold_ns"`
	// NeverRan counts the tasks that never got a CPU although they were
	// runnable for longer than the threshold; Starved the tasks whose
	// longest runnable wait in the window (or the wait still going on at
	// the end) exceeded it. The first few pids of each are listed.
	NeverRan     int     `json:"never_ran"`
	NeverRanPIDs []int32 `json:"never_ran_pids,omitempty"`
	Starved      int     `json:"starved"`
	StarvedPIDs  []int32 `json:"starved_pids,omitempty"`
	// LongestWaitNs is the longest runnable-to-running wait of any task:
	// completed in the window, or still going on at the end (Ongoing).
	LongestWaitNs   uint64 `json:"longest_wait_ns"`
	LongestWaitPID  int32  `json:"longest_wait_pid,omitempty"`
	LongestWaitComm string `json:"longest_wait_comm,omitempty"`
	Ongoing         bool   `json:"longest_wait_ongoing,omitempty"`
	// WatchdogNs is the policy's watchdog timeout; ShorterThanWatchdog
	// says the run ended before a stall could have been detected by it.
	WatchdogNs          uint64 `json:"watchdog_timeout_ns"`
	ShorterThanWatchdog bool   `json:"shorter_than_watchdog,omitempty"`
}

const starvedListed = 10

func (m *Machine) starvation() StarvationResult {
	th := m.P.Starvation
	if th == 0 {
		th = DefaultStarvation
	}
	s := StarvationResult{ThresholdNs: th, WatchdogNs: m.watchdogTimeout()}
	s.ShorterThanWatchdog = m.now < s.WatchdogNs
	for _, t := range m.tasks {
		wait, ongoing := t.Stats.DelayMax, false
		if t.state == TaskRunnable || t.state == TaskWaking {
			if w := m.now - t.runnableSince; w > wait {
				wait, ongoing = w, true
			}
		}
		if wait > s.LongestWaitNs {
			s.LongestWaitNs, s.LongestWaitPID, s.LongestWaitComm, s.Ongoing = wait, t.PID, t.Comm, ongoing
		}
		if t.Stats.Switches == 0 && t.state != TaskExited && m.now-t.forkedAt > th {
			s.NeverRan++
			if len(s.NeverRanPIDs) < starvedListed {
				s.NeverRanPIDs = append(s.NeverRanPIDs, t.PID)
			}
		}
		if wait > th {
			s.Starved++
			if len(s.StarvedPIDs) < starvedListed {
				s.StarvedPIDs = append(s.StarvedPIDs, t.PID)
			}
		}
	}
	return s
}

// Summary is a one-line reading of s.
func (s StarvationResult) Summary(dur func(uint64) string) string {
	line := "none"
	if s.NeverRan > 0 || s.Starved > 0 {
		line = fmt.Sprintf("%d tasks never ran, %d waited longer than %s", s.NeverRan, s.Starved, dur(s.ThresholdNs))
	} else {
		line = "no task waited longer than " + dur(s.ThresholdNs)
	}
	if s.LongestWaitNs > 0 {
		line += fmt.Sprintf("; longest runnable wait %s (%s[%d]", dur(s.LongestWaitNs), s.LongestWaitComm, s.LongestWaitPID)
		if s.Ongoing {
			line += ", still waiting at the end"
		}
		line += ")"
	}
	if s.ShorterThanWatchdog {
		line += fmt.Sprintf("; the run is shorter than the watchdog timeout (%s): a stall it would eject for cannot show", dur(s.WatchdogNs))
	}
	return line
}
