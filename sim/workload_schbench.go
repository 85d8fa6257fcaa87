package sim

import (
	"fmt"
	"strconv"
)

// Schbench models schbench: Groups message threads, each with Workers
// worker threads. A worker posts itself to its message thread (waking it)
// and blocks; the message thread wakes every posted worker, spending
// MsgCost of CPU per round if set, then blocks until a worker posts again.
// A woken worker sleeps Sleep (think time), computes Work, and posts again.
//
// Tasks are numbered group by group: name-0 is group 0's message thread,
// name-1 ... name-W its workers, and so on.
//
// Its metrics are schbench's: the wakeup latency from the message thread's
// wakeup of a worker to the worker running, the request latency from that
// wakeup to the end of the work, and requests per second.
type Schbench struct {
	WorkloadSpec
	Groups, Workers int
	Sleep, Work     Dist
	MsgCost         Dist
}

func (w *Schbench) Kind() string  { return "schbench" }
func (w *Schbench) NumTasks() int { return w.Groups * (1 + w.Workers) }

func (w *Schbench) Validate() error {
	if err := w.validate(); err != nil {
		return err
	}
	if w.Groups < 1 || w.Workers < 1 {
		return fmt.Errorf("schbench %s: groups and workers must be at least 1", w.Name)
	}
	for _, d := range []struct {
		n string
		d Dist
	}{{"sleep", w.Sleep}, {"work", w.Work}, {"msg_cost", w.MsgCost}} {
		if err := d.d.Validate(); err != nil {
			return fmt.Errorf("schbench %s: %s: %w", w.Name, d.n, err)
		}
	}
	return nil
}

type schbenchState struct {
	w             *Schbench
	wakeLat, req  Histogram
	requests      uint64
	tr            tracker
	msgWakeRounds uint64
}

type schMsg struct {
	st     *schbenchState
	t      *Task
	posted []*schWorker
	cost   *Sampler
}

type schWorker struct {
	st      *schbenchState
	msg     *schMsg
	t       *Task
	sleep   *Sampler
	work    *Sampler
	state   uint8 // 0 post, 1 woken, 2 slept, 3 worked
	wokenAt uint64
}

func (ms *schMsg) Next(m *Machine, t *Task) Action {
	if len(ms.posted) > 0 {
		now := m.Now()
		for _, w := range ms.posted {
			w.wokenAt = now
			m.Wake(w.t)
		}
		ms.posted = ms.posted[:0]
		ms.st.msgWakeRounds++
		if c := ms.cost.Sample(); c > 0 {
			return Run(c)
		}
	}
	return Block()
}

func (w *schWorker) Next(m *Machine, t *Task) Action {
	st := w.st
	for {
		switch w.state {
		case 0:
			w.state = 1
			w.msg.posted = append(w.msg.posted, w)
			m.Wake(w.msg.t)
			return Block()
		case 1:
			if w.wokenAt >= m.P.Warmup {
				st.wakeLat.Record(m.Now() - w.wokenAt)
			}
			w.state = 2
			if d := w.sleep.Sample(); d > 0 {
				return Sleep(d)
			}
		case 2:
			w.state = 3
			return Run(w.work.Sample())
		case 3:
			if w.wokenAt >= m.P.Warmup {
				m.request(&st.req, t.Group, m.Now()-w.wokenAt)
				st.requests++
			}
			w.state = 0
		}
	}
}

func (w *Schbench) Install(s *Scenario, group int) error {
	m := s.Machine
	st := &schbenchState{w: w}
	s.startAt(w, func() error {
		idx := 0
		rnd := func(i int, what string, d Dist) *Sampler {
			return d.NewSampler(m.Rand("workload/" + w.Name + "/task/" + strconv.Itoa(i) + "/" + what))
		}
		for g := 0; g < w.Groups; g++ {
			ms := &schMsg{st: st, cost: rnd(idx, "msg", w.MsgCost)}
			t, err := s.spawn(w, group, idx, &st.tr, ms)
			if err != nil {
				return err
			}
			ms.t = t
			idx++
			for j := 0; j < w.Workers; j++ {
				wk := &schWorker{st: st, msg: ms, sleep: rnd(idx, "sleep", w.Sleep), work: rnd(idx, "work", w.Work)}
				t, err := s.spawn(w, group, idx, &st.tr, wk)
				if err != nil {
					return err
				}
				wk.t = t
				idx++
			}
		}
		return nil
	})
	m.AddReporter(reporterFunc(func(m *Machine) WorkloadResult {
		r := baseResult(w, s, group, &st.tr)
		r.Completed = st.requests
		r.Throughput = perSecond(st.requests, measured(m))
		if st.req.Count() > 0 {
			r.Latency = summary(&st.req)
		}
		// schbench's own wakeup latency replaces the generic one: it is
		// measured from the message thread's wakeup call.
		if st.wakeLat.Count() > 0 {
			r.WakeLatency = summary(&st.wakeLat)
		}
		r.Extra = []Stat{stat("message_rounds", float64(st.msgWakeRounds), "")}
		return r
	}))
	return nil
}
