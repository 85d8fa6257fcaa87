package sim

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// TraceReplay replays the tasks of a kernel trace (ftrace text or perf
// sched script, trace_parse.go): each traced task runs, sleeps, blocks,
// wakes other tasks and exits as it did in the recording, with its run
// lengths as CPU demand, and the policy under test decides where and when.
// A wakeup by another traced task becomes a block in the wakee and a wake
// step in the waker; a wakeup from interrupt context or the idle task
// becomes a timed sleep of the recorded length.
type TraceReplay struct {
	WorkloadSpec
	// File is the trace (errors name it as given).
	File string
	// Pin restricts each task to the CPUs it ran on in the trace (traced
	// CPU c is CPU c mod the machine's CPU count); otherwise tasks may run
	// anywhere and only start on their mapped CPU.
	Pin bool
	// SwitchCost is deducted from each recorded on-CPU interval: the
	// recording's context-switch cost, which the replay charges again
	// (default: the machine's context_switch).
	SwitchCost uint64
	// Exclude lists comms whose tasks are left out (the tracer itself, say):
	// their CPU time counts as idle, and their wakeups as interrupts.
	// A pattern ending in '*' matches a prefix.
	Exclude []string
	// Tasks are the recorded tasks, by start time.
	Tasks []RecordedTask
	// TracedCPUs is the highest traced CPU + 1; Span the trace's length.
	TracedCPUs int
	Span       uint64
}

// RecordedStepKind is what a recorded step does.
type RecordedStepKind uint8

const (
	RecRun   RecordedStepKind = iota // run D ns
	RecSleep                         // sleep D ns (woken by a timer or an interrupt)
	RecBlock                         // block until a traced task wakes it
	RecWake                          // wake task Target
	RecExit                          // exit
)

// RecordedStep is one step of a recorded task.
type RecordedStep struct {
	Kind   RecordedStepKind
	D      uint64
	Target int // index in TraceReplay.Tasks
}

// RecordedTask is one task of a trace and what it did.
type RecordedTask struct {
	PID  int32
	Comm string
	Nice int
	// RTPriority is an RT task's rt_priority (its recorded prio below
	// 99), 0 for others: it replays in the RT class (class_rt.go).
	RTPriority int
	Start      uint64 // ns after the trace's first event
	CPU        int    // traced CPU it first appeared on
	CPUs       []int  // traced CPUs it ran on
	Steps      []RecordedStep
	// What the recording measured: time on a CPU (less the switch cost
	// per interval: the CPU demand), time runnable but not running, and
	// switches in.
	Runtime, Wait, Switches uint64
}

func (w *TraceReplay) Kind() string  { return "trace" }
func (w *TraceReplay) NumTasks() int { return len(w.Tasks) }

func (w *TraceReplay) Validate() error {
	if err := w.validate(); err != nil {
		return err
	}
	if len(w.Tasks) == 0 {
		return fmt.Errorf("trace %s: %s has no task with sched events", w.Name, w.File)
	}
	return nil
}

// LoadTraceReplay reads a trace file into a replay workload, leaving out
// the tasks whose comm matches a pattern of exclude.
func LoadTraceReplay(spec WorkloadSpec, file string, switchCost uint64, exclude []string) (*TraceReplay, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	evs, err := parseSchedTrace(file, f)
	if err != nil {
		return nil, err
	}
	w := &TraceReplay{WorkloadSpec: spec, File: file, SwitchCost: switchCost, Exclude: exclude}
	w.exclude(evs)
	w.record(evs)
	return w, nil
}

// excluded reports whether comm matches a pattern of w.Exclude.
func (w *TraceReplay) excluded(comm string) bool {
	comm = strings.TrimSpace(comm)
	for _, p := range w.Exclude {
		if pre, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(comm, pre) || p == comm {
			return true
		}
	}
	return false
}

// exclude rewrites the events of excluded tasks as the idle task's: their
// time on a CPU becomes idle time, their wakeups come from nowhere (a timer
// or an interrupt), and nothing wakes, forks or ends them.
func (w *TraceReplay) exclude(evs []schedEvent) {
	if len(w.Exclude) == 0 {
		return
	}
	out := map[int32]bool{}
	for _, e := range evs {
		if e.prevComm != "" && w.excluded(e.prevComm) {
			out[e.prevPID] = true
		}
		if e.nextComm != "" && w.excluded(e.nextComm) {
			out[e.nextPID] = true
		}
	}
	delete(out, 0)
	for i := range evs {
		e := &evs[i]
		if out[e.curPID] {
			e.curPID = 0
		}
		switch e.kind {
		case kSwitch:
			if out[e.prevPID] {
				e.prevPID, e.prevState = 0, "R"
			}
			if out[e.nextPID] {
				e.nextPID = 0
			}
		case kFork:
			if out[e.nextPID] {
				e.nextPID = 0
			}
		default:
			if out[e.prevPID] {
				e.prevPID = 0
			}
		}
	}
}

// replayState is one installation of a replay.
type replayState struct {
	w     *TraceReplay
	tasks []*Task // by recorded index; nil until spawned
	// A wake step wakes its target only if the target is blocked in a
	// block step; otherwise it leaves a credit that the target's next
	// block step consumes (a counting semaphore: the replay may reorder
	// a wake and the block it ends, and must neither lose a wake nor cut
	// a timed sleep short).
	blocked []bool
	credits []int
	done    uint64 // tasks that finished their steps
	tr      tracker
}

type replayTask struct {
	st   *replayState
	i    int
	step int
}

func (rt *replayTask) Next(m *Machine, t *Task) Action {
	steps := rt.st.w.Tasks[rt.i].Steps
	for rt.step < len(steps) {
		s := steps[rt.step]
		rt.step++
		if rt.step == len(steps) {
			rt.st.done++
		}
		switch s.Kind {
		case RecRun:
			return Run(s.D)
		case RecSleep:
			return Sleep(s.D)
		case RecBlock:
			if rt.st.credits[rt.i] > 0 {
				rt.st.credits[rt.i]--
				continue
			}
			rt.st.blocked[rt.i] = true
			return Block()
		case RecExit:
			return Exit()
		case RecWake:
			j := s.Target
			if o := rt.st.tasks[j]; o != nil && o != t && rt.st.blocked[j] {
				rt.st.blocked[j] = false
				m.Wake(o)
			} else if o != t {
				rt.st.credits[j]++
			}
		}
	}
	// The trace ended with the task alive: it stays asleep.
	return Block()
}

func (w *TraceReplay) Install(s *Scenario, group int) error {
	m := s.Machine
	st := &replayState{w: w, tasks: make([]*Task, len(w.Tasks)), blocked: make([]bool, len(w.Tasks)),
		credits: make([]int, len(w.Tasks))}
	ncpu := len(m.CPUs())
	for i := range w.Tasks {
		rec := &w.Tasks[i]
		i := i
		aff := w.Affinity
		if w.Pin {
			aff = nil
			for _, c := range rec.CPUs {
				if !slices.Contains(aff, c%ncpu) {
					aff = append(aff, c%ncpu)
				}
			}
		}
		m.AtOn(w.Start+rec.Start, rec.CPU%ncpu, func() {
			spec := TaskSpec{Comm: rec.Comm, Nice: max(-20, min(19, rec.Nice+w.Nice)), Affinity: aff,
				Group: group, Behavior: &replayTask{st: st, i: i}, tracker: &st.tr, Class: w.Class, RTPriority: w.RTPriority, RTRoundRobin: w.RTRoundRobin, SchedExt: w.SchedExt}
			if rec.RTPriority > 0 {
				spec.Class, spec.RTPriority, spec.RTRoundRobin, spec.Nice, spec.SchedExt = ClassRT, rec.RTPriority, false, 0, false
			}
			t, err := m.Spawn(spec)
			if err != nil {
				if s.err == nil {
					s.err, m.stopped = fmt.Errorf("workload %s: %w", w.Name, err), true
				}
				return
			}
			st.tasks[i] = t
			s.tasks[group] = append(s.tasks[group], t)
		})
	}
	m.AddReporter(reporterFunc(func(m *Machine) WorkloadResult {
		r := baseResult(w, s, group, &st.tr)
		r.Completed = st.done
		var rec, got uint64
		for i, t := range st.tasks {
			rec += w.Tasks[i].Runtime
			if t != nil {
				got += t.Stats.Runtime
			}
		}
		r.Extra = append(r.Extra, stat("traced_cpus", float64(w.TracedCPUs), ""),
			stat("recorded_runtime", float64(rec)/1e6, "ms"), stat("replayed_runtime", float64(got)/1e6, "ms"))
		return r
	}))
	return nil
}

// ReplayDiff compares one task's replay with its recording.
type ReplayDiff struct {
	PID         int32  `json:"pid"`
	Comm        string `json:"comm"`
	SimPID      int32  `json:"sim_pid"` // 0: not started in the run
	RecRuntime  uint64 `json:"recorded_runtime_ns"`
	SimRuntime  uint64 `json:"replayed_runtime_ns"`
	RecWait     uint64 `json:"recorded_wait_ns"`
	SimWait     uint64 `json:"replayed_wait_ns"`
	RecSwitches uint64 `json:"recorded_switches"`
	SimSwitches uint64 `json:"replayed_switches"`
}

// Diffs compares each recorded task with its replay in s, where the
// workload was installed as group.
func (w *TraceReplay) Diffs(s *Scenario, group int) []ReplayDiff {
	spawned := s.Tasks(group) // in index order: tasks are spawned by start time
	ds := make([]ReplayDiff, len(w.Tasks))
	for i, rec := range w.Tasks {
		d := ReplayDiff{PID: rec.PID, Comm: rec.Comm, RecRuntime: rec.Runtime, RecWait: rec.Wait, RecSwitches: rec.Switches}
		if i < len(spawned) {
			t := spawned[i]
			d.SimPID, d.SimRuntime, d.SimWait, d.SimSwitches = t.PID, t.Stats.Runtime, t.Stats.DelaySum, t.Stats.Switches
		}
		ds[i] = d
	}
	return ds
}
