package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// RTApp runs the threads of an rt-app JSON description
// (github.com/scheduler-tools/rt-app, doc/tutorial.txt), the format
// scx_simulator also reads. The subset schedsim runs (docs/traces.md):
//
//   - top level: tasks (required); global and resources are accepted,
//     and global's keys (duration, calibration, default_policy, logdir,
//     ...) have no effect: the config's [run] decides the run;
//   - thread: instance, loop (-1: forever), priority (the nice value,
//     SCHED_OTHER), policy (SCHED_OTHER, SCHED_BATCH or SCHED_IDLE), cpus,
//     delay (us), phases, or events directly;
//   - phase: loop and events;
//   - events, in file order, keys matched by prefix as rt-app does (run0,
//     sleep1, ...): run and runtime (us of CPU), sleep (us), timer {ref,
//     period (us), mode: relative or absolute}, suspend, resume (wakes the
//     named thread's instances).
//
// Any other key is an error at its file:line:col.
type RTApp struct {
	WorkloadSpec
	File    string
	Threads []RTThread
}

// RTThread is one thread object of an rt-app file.
type RTThread struct {
	Name      string
	Instances int
	Loop      int // -1: forever
	Nice      int
	// RTPriority is set (1-99) for a SCHED_FIFO thread, which runs in the
	// RT class (class_rt.go).
	RTPriority int
	// RTRoundRobin: a SCHED_RR thread.
	RTRoundRobin bool
	CPUs         []int
	Delay        uint64
	Phases       []RTPhase
}

// RTPhase is one phase of a thread.
type RTPhase struct {
	Name   string
	Loop   int
	Events []RTEvent
}

// RTEventKind is what an rt-app event does.
type RTEventKind uint8

const (
	RTRun RTEventKind = iota
	RTSleep
	RTTimer
	RTSuspend
	RTResume
)

// RTEvent is one event of a phase.
type RTEvent struct {
	Kind     RTEventKind
	D        uint64 // run, sleep: ns; timer: the period
	Ref      string // timer: its name; resume: the thread
	Absolute bool   // timer mode
}

func (w *RTApp) Kind() string { return "rtapp" }

func (w *RTApp) NumTasks() int {
	n := 0
	for _, t := range w.Threads {
		n += t.Instances
	}
	return n
}

func (w *RTApp) Validate() error {
	if err := w.validate(); err != nil {
		return err
	}
	if w.NumTasks() == 0 {
		return fmt.Errorf("rtapp %s: %s creates no thread", w.Name, w.File)
	}
	return nil
}

// rtTimer is a timer's next expiry (0 before its first use).
type rtTimer struct{ next uint64 }

type rtappState struct {
	w      *RTApp
	s      *Scenario
	byName map[string][]*Task
	timers map[string]*rtTimer // shared timers (ref not starting with "unique")
	iter   Histogram
	loops  uint64
	tr     tracker
}

type rtappTask struct {
	st                  *rtappState
	th                  *RTThread
	timers              map[string]*rtTimer // this instance's "unique..." timers
	loop, phase, pl, ev int
	loopFrom            uint64
}

func (rt *rtappTask) timer(ref string) *rtTimer {
	m := rt.st.timers
	if strings.HasPrefix(ref, "unique") {
		m = rt.timers
	}
	tm, ok := m[ref]
	if !ok {
		tm = &rtTimer{}
		m[ref] = tm
	}
	return tm
}

func (rt *rtappTask) Next(m *Machine, t *Task) Action {
	th := rt.th
	for {
		if rt.phase == len(th.Phases) { // one loop of the thread done
			rt.phase, rt.loop = 0, rt.loop+1
			if rt.loopFrom >= m.P.Warmup {
				m.request(&rt.st.iter, t.Group, m.Now()-rt.loopFrom)
				rt.st.loops++
			}
			rt.loopFrom = m.Now()
			if th.Loop > 0 && rt.loop >= th.Loop {
				return Exit()
			}
		}
		ph := &th.Phases[rt.phase]
		if rt.ev == len(ph.Events) {
			rt.ev, rt.pl = 0, rt.pl+1
			if rt.pl >= ph.Loop {
				rt.pl = 0
				rt.phase++
			}
			continue
		}
		e := ph.Events[rt.ev]
		rt.ev++
		switch e.Kind {
		case RTRun:
			if e.D > 0 {
				return Run(e.D)
			}
		case RTSleep:
			if e.D > 0 {
				return Sleep(e.D)
			}
		case RTSuspend:
			return Block()
		case RTResume:
			for _, o := range rt.st.byName[e.Ref] {
				if o != t {
					m.Wake(o)
				}
			}
		case RTTimer:
			tm := rt.timer(e.Ref)
			now := m.Now()
			if tm.next == 0 {
				tm.next = now
			}
			tm.next += e.D
			if tm.next > now {
				return Sleep(tm.next - now)
			}
			if !e.Absolute { // missed: the next period counts from now
				tm.next = now
			}
		}
	}
}

func (w *RTApp) Install(s *Scenario, group int) error {
	m := s.Machine
	st := &rtappState{w: w, s: s, byName: map[string][]*Task{}, timers: map[string]*rtTimer{}}
	for i := range w.Threads {
		th := &w.Threads[i]
		aff := th.CPUs
		if len(aff) == 0 {
			aff = w.Affinity
		}
		for c := range aff {
			if aff[c] >= len(m.CPUs()) {
				return fmt.Errorf("rtapp %s: thread %s: CPU %d does not exist", w.Name, th.Name, aff[c])
			}
		}
		for j := 0; j < th.Instances; j++ {
			m.At(w.Start+th.Delay, func() {
				rt := &rtappTask{st: st, th: th, timers: map[string]*rtTimer{}, loopFrom: m.Now()}
				spec := TaskSpec{Comm: th.Name + "-" + strconv.Itoa(j), Nice: max(-20, min(19, th.Nice+w.Nice)),
					Affinity: aff, Group: group, Behavior: rt, tracker: &st.tr, Class: w.Class, RTPriority: w.RTPriority, RTRoundRobin: w.RTRoundRobin, SchedExt: w.SchedExt}
				if th.RTPriority > 0 {
					spec.Class, spec.RTPriority, spec.RTRoundRobin, spec.Nice, spec.SchedExt = ClassRT, th.RTPriority, th.RTRoundRobin, 0, false
				}
				t, err := m.Spawn(spec)
				if err != nil {
					if s.err == nil {
						s.err, m.stopped = fmt.Errorf("workload %s: %w", w.Name, err), true
					}
					return
				}
				st.byName[th.Name] = append(st.byName[th.Name], t)
				s.tasks[group] = append(s.tasks[group], t)
			})
		}
	}
	m.AddReporter(reporterFunc(func(m *Machine) WorkloadResult {
		return passesResult(w, s, group, &st.tr, st.loops, &st.iter)
	}))
	return nil
}
