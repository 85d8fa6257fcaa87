package sim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Periodic is Tasks tasks that each run a burst (Run) once every Period,
// like an audio or frame-rendering thread. Job k of a task is released at
// phase + k*Period plus a uniform random jitter in [0, Jitter), where each
// task's phase is uniform in [0, Period). A job misses its deadline when
// it finishes later than Deadline (default: Period) after its nominal
// release. A task that falls behind runs its late jobs back to back.
//
// It measures each job's response time (release to completion), deadline
// misses and lateness (completion after the deadline; 0 when on time).
type Periodic struct {
	WorkloadSpec
	Tasks    int
	Period   uint64
	Run      Dist
	Jitter   uint64
	Deadline uint64
}

func (w *Periodic) Kind() string  { return "periodic" }
func (w *Periodic) NumTasks() int { return w.Tasks }

func (w *Periodic) Validate() error {
	if err := w.validate(); err != nil {
		return err
	}
	if w.Tasks < 1 {
		return fmt.Errorf("periodic %s: needs at least one task", w.Name)
	}
	if w.Period == 0 {
		return fmt.Errorf("periodic %s: period must be positive", w.Name)
	}
	if err := w.Run.Validate(); err != nil {
		return fmt.Errorf("periodic %s: run: %w", w.Name, err)
	}
	return nil
}

type periodicState struct {
	w              *Periodic
	resp, lateness Histogram
	jobs, misses   uint64
	tr             tracker
	deadline       uint64
}

// periodicTask keeps its samplers and their streams inline: one object a
// task, fewer cache lines touched at each step. It is 256 bytes (a size
// class of 64-byte aligned objects), and a step touches three lines: the
// first (the job), the second (run's parameters) and the last (the
// streams' states).
type periodicTask struct {
	st      *periodicState
	base    uint64 // start + phase
	k       uint64 // current job
	release uint64 // actual release of job k (with jitter)
	running bool
	jitter  rand.Rand
	_       [8]byte
	run     Sampler     // its first 64 bytes, then its Dist
	pcgs    [2]rand.PCG // jitter's, run's
	runRand rand.Rand
}

func (pt *periodicTask) nominal(k uint64) uint64 { return pt.base + k*pt.st.w.Period }

func (pt *periodicTask) releaseOf(k uint64) uint64 {
	r := pt.nominal(k)
	if j := pt.st.w.Jitter; j > 0 {
		r += uint64(pt.jitter.Float64() * float64(j))
	}
	return r
}

func (pt *periodicTask) Next(m *Machine, t *Task) Action {
	st := pt.st
	now := m.Now()
	if pt.running {
		pt.running = false
		if pt.nominal(pt.k) >= m.P.Warmup {
			st.jobs++
			m.request(&st.resp, t.Group, now-pt.release)
			dl := pt.nominal(pt.k) + st.deadline
			var late uint64
			if now > dl {
				late = now - dl
				st.misses++
			}
			st.lateness.Record(late)
		}
		pt.k++
		pt.release = pt.releaseOf(pt.k)
	}
	if now < pt.release {
		return Sleep(pt.release - now)
	}
	pt.running = true
	return Run(pt.run.Sample())
}

func (w *Periodic) Install(s *Scenario, group int) error {
	m := s.Machine
	st := &periodicState{w: w, deadline: w.Deadline}
	if st.deadline == 0 {
		st.deadline = w.Period
	}
	s.startAt(w, func() error {
		for i := 0; i < w.Tasks; i++ {
			prefix := "workload/" + w.Name + "/task/" + strconv.Itoa(i)
			pt := &periodicTask{st: st}
			m.randIn(prefix+"/jitter", &pt.jitter, &pt.pcgs[0])
			m.randIn(prefix+"/run", &pt.runRand, &pt.pcgs[1])
			w.Run.initSampler(&pt.run, &pt.runRand)
			pt.base = m.Now() + uint64(pt.jitter.Float64()*float64(w.Period))
			pt.release = pt.releaseOf(0)
			if _, err := s.spawn(w, group, i, &st.tr, pt); err != nil {
				return err
			}
		}
		return nil
	})
	m.AddReporter(reporterFunc(func(m *Machine) WorkloadResult {
		r := baseResult(w, s, group, &st.tr)
		r.Completed = st.jobs
		r.Throughput = perSecond(st.jobs, measured(m))
		if st.resp.Count() > 0 {
			r.Latency = summary(&st.resp)
		}
		ratio := 0.0
		if st.jobs > 0 {
			ratio = float64(st.misses) / float64(st.jobs)
		}
		ls := st.lateness.Summary()
		r.Extra = []Stat{
			stat("deadline_misses", float64(st.misses), ""),
			stat("miss_ratio", ratio, ""),
			stat("lateness_p50", float64(ls.P50)/1e3, "us"),
			stat("lateness_p99", float64(ls.P99)/1e3, "us"),
			stat("lateness_p999", float64(ls.P999)/1e3, "us"),
			stat("lateness_max", float64(ls.Max)/1e3, "us"),
		}
		return r
	}))
	return nil
}
