package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// StepKind is what one step of a Phases script does.
type StepKind uint8

const (
	StepRun   StepKind = iota // compute for a duration drawn from D
	StepSleep                 // sleep for a duration drawn from D
	StepWake                  // wake Target (takes no time)
	StepBlock                 // block until another task wakes this one
)

func (k StepKind) String() string { return [...]string{"run", "sleep", "wake", "block"}[k] }

// Step is one step of a Phases script.
type Step struct {
	Kind StepKind
	D    Dist
	// Target names the tasks a wake step wakes: a workload (all its tasks)
	// or a task (name-N). "{i}" is replaced by the waking task's index.
	Target string
}

// Phases is Tasks tasks each running the same script of steps, Repeat
// times (0: forever), then exiting. It measures how long each pass of the
// script takes.
type Phases struct {
	WorkloadSpec
	Tasks  int
	Repeat int
	Steps  []Step
}

func (w *Phases) Kind() string  { return "phases" }
func (w *Phases) NumTasks() int { return w.Tasks }

// target returns the wake target of step st for task i.
func (st Step) target(i int) string { return strings.ReplaceAll(st.Target, "{i}", strconv.Itoa(i)) }

func (w *Phases) Validate() error {
	if err := w.validate(); err != nil {
		return err
	}
	if w.Tasks < 1 {
		return fmt.Errorf("phases %s: needs at least one task", w.Name)
	}
	if w.Repeat < 0 {
		return fmt.Errorf("phases %s: repeat must be >= 0", w.Name)
	}
	acts := false
	for j, st := range w.Steps {
		switch st.Kind {
		case StepRun, StepSleep:
			if err := st.D.Validate(); err != nil {
				return fmt.Errorf("phases %s: step %d: %w", w.Name, j, err)
			}
			if st.D.MeanNs() > 0 {
				acts = true
			}
		case StepBlock:
			acts = true
		case StepWake:
			if st.Target == "" {
				return fmt.Errorf("phases %s: step %d: wake needs a target", w.Name, j)
			}
		default:
			return fmt.Errorf("phases %s: step %d: unknown step kind %d", w.Name, j, st.Kind)
		}
	}
	if !acts {
		return fmt.Errorf("phases %s: the script needs a block step or a run or sleep step of positive mean duration (or it would never let time pass)", w.Name)
	}
	return nil
}

type phasesState struct {
	w      *Phases
	s      *Scenario
	iter   Histogram
	passes uint64
	tr     tracker
}

type phasesTask struct {
	st       *phasesState
	i        int
	samplers []*Sampler // by step; nil for wake and block
	targets  []string   // by step, for wake steps
	step     int        // next step to do
	pass     int
	passFrom uint64
}

func (pt *phasesTask) Next(m *Machine, t *Task) Action {
	st := pt.st
	w := st.w
	for {
		if pt.step == len(w.Steps) {
			pt.step = 0
			pt.pass++
			// a pass counts when it ends in the measured window,
			// wherever it began
			if m.Now() >= m.P.Warmup {
				m.request(&st.iter, t.Group, m.Now()-pt.passFrom)
				st.passes++
			}
			pt.passFrom = m.Now()
			if w.Repeat > 0 && pt.pass >= w.Repeat {
				return Exit()
			}
		}
		j := pt.step
		pt.step++
		switch s := w.Steps[j]; s.Kind {
		case StepRun:
			return Run(pt.samplers[j].Sample())
		case StepSleep:
			return Sleep(pt.samplers[j].Sample())
		case StepBlock:
			return Block()
		case StepWake:
			for _, o := range st.s.Lookup(pt.targets[j]) {
				if o != t {
					m.Wake(o)
				}
			}
		}
	}
}

func (w *Phases) Install(s *Scenario, group int) error {
	m := s.Machine
	st := &phasesState{w: w, s: s}
	for j, step := range w.Steps {
		if step.Kind != StepWake {
			continue
		}
		for i := 0; i < w.Tasks; i++ {
			if tg := step.target(i); !knownTarget(s.Workloads, tg) {
				return fmt.Errorf("phases %s: step %d: wake target %q is neither a workload nor a task", w.Name, j, tg)
			}
		}
	}
	s.startAt(w, func() error {
		for i := 0; i < w.Tasks; i++ {
			pt := &phasesTask{st: st, i: i, samplers: make([]*Sampler, len(w.Steps)),
				targets: make([]string, len(w.Steps)), passFrom: m.Now()}
			for j, step := range w.Steps {
				switch step.Kind {
				case StepRun, StepSleep:
					pt.samplers[j] = step.D.NewSampler(m.Rand("workload/" + w.Name + "/task/" +
						strconv.Itoa(i) + "/step/" + strconv.Itoa(j)))
				case StepWake:
					pt.targets[j] = step.target(i)
				}
			}
			if _, err := s.spawn(w, group, i, &st.tr, pt); err != nil {
				return err
			}
		}
		return nil
	})
	m.AddReporter(reporterFunc(func(m *Machine) WorkloadResult {
		return passesResult(w, s, group, &st.tr, st.passes, &st.iter)
	}))
	return nil
}
