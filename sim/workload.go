package sim

import (
	"fmt"
	"math"
	"strconv"
)

// A Workload creates tasks on a machine and reports what it measured.
// The kinds a config can name are Server, Batch, Periodic, Messaging,
// Schbench and Phases.
type Workload interface {
	// Common returns the fields every workload has.
	Common() *WorkloadSpec
	// Kind is the workload's kind as a config names it ("server", ...).
	Kind() string
	// NumTasks is the number of tasks the workload creates.
	NumTasks() int
	// Validate checks the workload's parameters.
	Validate() error
	// Install creates the workload's tasks and events on s's machine; its
	// tasks belong to group (TaskSpec.Group). It is called once, before
	// the run starts; tasks are spawned at Start.
	Install(s *Scenario, group int) error
}

// WorkloadSpec holds the fields every workload has.
type WorkloadSpec struct {
	// Name is unique in a scenario; tasks are named Name-0, Name-1, ...
	Name string
	// Start delays the workload's first task, in ns.
	Start uint64
	// Nice applies to every task of the workload.
	Nice int
	// Affinity restricts the workload's tasks to these CPUs (empty: all).
	Affinity []int
	// Cgroup is the cgroup of the workload's tasks ("" or "/": the root).
	Cgroup string
	// Class is the scheduling class of the workload's tasks: ClassExt
	// (the default), or ClassRT with RTPriority 1-99 (class_rt.go).
	Class      TaskClass
	RTPriority int
	// RTRoundRobin makes RT tasks SCHED_RR (rt_policy = "rr").
	RTRoundRobin bool
	// SchedExt makes the tasks' policy SCHED_EXT (sched_policy = "ext"):
	// with SCX_OPS_SWITCH_PARTIAL only those go to the BPF scheduler
	// (class_fair.go).
	SchedExt bool
}

// Common implements Workload.
func (w *WorkloadSpec) Common() *WorkloadSpec { return w }

// WorkloadKinds lists the kinds of workload a config may name.
var WorkloadKinds = []string{"server", "batch", "periodic", "messaging", "schbench", "phases", "trace", "rtapp"}

func (w *WorkloadSpec) validate() error {
	if w.Name == "" {
		return fmt.Errorf("workload has no name")
	}
	if w.Nice < -20 || w.Nice > 19 {
		return fmt.Errorf("workload %s: nice %d is outside -20..19", w.Name, w.Nice)
	}
	switch {
	case w.Class == ClassRT && (w.RTPriority < 1 || w.RTPriority >= MaxRTPrio):
		return fmt.Errorf("workload %s: rt_priority %d is outside 1..%d", w.Name, w.RTPriority, MaxRTPrio-1)
	case w.Class == ClassRT && w.SchedExt:
		return fmt.Errorf("workload %s: sched_policy = \"ext\" is for non-RT tasks", w.Name)
	case w.Class == ClassExt && (w.RTPriority != 0 || w.RTRoundRobin):
		return fmt.Errorf("workload %s: rt_priority and rt_policy are for class rt only", w.Name)
	case w.Class != ClassExt && w.Class != ClassRT:
		return fmt.Errorf("workload %s: unknown class %d", w.Name, w.Class)
	}
	return nil
}

func (w *WorkloadSpec) comm(i int) string { return w.Name + "-" + strconv.Itoa(i) }

// tracker is what every workload measures about its own tasks: their
// wakeup latency (each sample is the one the core recorded when the task
// was switched in after a wakeup), after the warmup.
type tracker struct {
	wake Histogram
}

// track collects the wakeup latencies of a task of a workload (its
// tracker, t.tr): taskStep calls it before each call of the task's
// behavior. (The state is in the Task, on the behavior's cache line, not
// in a wrapper of the behavior: one object less to touch at each step.)
func (m *Machine) track(t *Task) {
	if t.Stats.Wakeups != t.trWakeups {
		// One sample per wakeup: the core added it to WakeLatSum when the
		// task was switched in, just before this call.
		d := t.Stats.WakeLatSum - t.trWakeLat
		if t.Stats.Wakeups == t.trWakeups+1 && m.Now() >= m.P.Warmup {
			t.tr.wake.Record(d)
		}
		t.trWakeups, t.trWakeLat = t.Stats.Wakeups, t.Stats.WakeLatSum
	}
}

// spawn creates one task of workload w (index i) in group, tracked by tr.
func (s *Scenario) spawn(w Workload, group, i int, tr *tracker, b Behavior) (*Task, error) {
	c := w.Common()
	t, err := s.Machine.Spawn(TaskSpec{Comm: c.comm(i), Nice: c.Nice, Affinity: c.Affinity,
		Group: group, Behavior: b, tracker: tr, Class: c.Class, RTPriority: c.RTPriority, RTRoundRobin: c.RTRoundRobin, SchedExt: c.SchedExt})
	if err != nil {
		return nil, fmt.Errorf("workload %s: %w", c.Name, err)
	}
	s.tasks[group] = append(s.tasks[group], t)
	s.byComm[t.Comm] = t
	return t, nil
}

// startAt runs fn at the workload's start time, turning an error into a
// policy-independent failure of the run.
func (s *Scenario) startAt(w Workload, fn func() error) {
	s.Machine.At(w.Common().Start, func() {
		if err := fn(); err != nil && s.err == nil {
			s.err = err
			s.Machine.stopped = true
		}
	})
}

// measured is the time after the warmup, in seconds, at the end of a run.
func measured(m *Machine) float64 {
	if m.Now() <= m.P.Warmup {
		return 0
	}
	return float64(m.Now()-m.P.Warmup) / 1e9
}

func perSecond(n uint64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return round4(float64(n) / secs)
}

func summary(h *Histogram) *LatencyStats {
	s := h.Summary()
	return &s
}

func stat(name string, v float64, unit string) Stat {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return Stat{Name: name, Value: round4(v), Unit: unit}
}

// baseResult fills the fields common to every workload's result.
func baseResult(w Workload, s *Scenario, group int, tr *tracker) WorkloadResult {
	r := WorkloadResult{Name: w.Common().Name, Kind: w.Kind(), Tasks: len(s.tasks[group])}
	if tr.wake.Count() > 0 {
		r.WakeLatency = summary(&tr.wake)
	}
	return r
}

// passesResult is the result of a workload that runs a script in passes
// (phases, rtapp): how many passes ended after the warmup, per second, and
// how long they took.
func passesResult(w Workload, s *Scenario, group int, tr *tracker, passes uint64, iter *Histogram) WorkloadResult {
	r := baseResult(w, s, group, tr)
	r.Completed = passes
	r.Throughput = perSecond(passes, measured(s.Machine))
	if iter.Count() > 0 {
		r.Latency = summary(iter)
	}
	return r
}

type reporterFunc func(m *Machine) WorkloadResult

func (f reporterFunc) Report(m *Machine) WorkloadResult { return f(m) }
