package sim

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Server is a request-serving process: requests arrive as a Poisson
// process (Rate per second, or a piecewise-constant RateSchedule) into a
// FIFO queue served by a pool of Workers threads. A request needs Service
// of CPU time; with IO set, the service is split into compute (Split of
// it), an IO sleep, and the remaining compute. An idle worker blocks and is
// woken by the next arrival.
//
// It measures each request's latency from arrival to completion.
type Server struct {
	WorkloadSpec
	// Rate is the mean arrival rate, per second, when RateSchedule is empty.
	Rate float64
	// RateSchedule holds rate steps: from At (after Start) on, Rate.
	RateSchedule []RateStep
	Workers      int
	Service      Dist
	// IO, if set, is an IO wait in the middle of each request.
	IO *Dist
	// Split is the fraction of Service done before the IO wait (default 0.5).
	Split float64
	// QueueLimit drops arrivals that find this many requests queued; 0 means
	// an unbounded queue.
	QueueLimit int
}

// RateStep is one step of a Server's arrival rate.
type RateStep struct {
	At   uint64  // ns after the workload's start
	Rate float64 // per second
}

func (w *Server) Kind() string  { return "server" }
func (w *Server) NumTasks() int { return w.Workers }

func (w *Server) Validate() error {
	if err := w.validate(); err != nil {
		return err
	}
	if w.Workers < 1 {
		return fmt.Errorf("server %s: needs at least one worker", w.Name)
	}
	if len(w.RateSchedule) == 0 && (!(w.Rate >= 0) || math.IsInf(w.Rate, 0)) {
		return fmt.Errorf("server %s: rate must be a non-negative number", w.Name)
	}
	for i, s := range w.RateSchedule {
		if !(s.Rate >= 0) || math.IsInf(s.Rate, 0) {
			return fmt.Errorf("server %s: rate_schedule step %d: rate must be a non-negative number", w.Name, i)
		}
		if i > 0 && s.At <= w.RateSchedule[i-1].At {
			return fmt.Errorf("server %s: rate_schedule times must increase", w.Name)
		}
	}
	if err := w.Service.Validate(); err != nil {
		return fmt.Errorf("server %s: service: %w", w.Name, err)
	}
	if w.IO != nil {
		if err := w.IO.Validate(); err != nil {
			return fmt.Errorf("server %s: io: %w", w.Name, err)
		}
	}
	if w.Split < 0 || w.Split > 1 {
		return fmt.Errorf("server %s: split must be between 0 and 1", w.Name)
	}
	if w.QueueLimit < 0 {
		return fmt.Errorf("server %s: queue_limit must be >= 0", w.Name)
	}
	return nil
}

type request struct {
	arrival uint64
	parts   [3]Action
	n       int
}

type serverState struct {
	w       *Server
	s       *Scenario
	queue   []*request // FIFO; head at qhead
	qhead   int
	idle    []*serverWorker // blocked workers, woken in FIFO order
	service *Sampler
	io      *Sampler
	arrive  distuv.Exponential
	start   uint64
	next    uint64 // time of the next arrival (absolute)

	lat                         Histogram
	queueDelay                  Histogram // arrival to a worker taking the request
	arrivals, dropped, done     uint64
	arrivalsAfterWarmup, queMax uint64
	busyWorkers                 int
	tr                          tracker
}

type serverWorker struct {
	st   *serverState
	t    *Task
	cur  *request
	part int
	idle bool
}

func (w *Server) Install(s *Scenario, group int) error {
	m := s.Machine
	split := w.Split
	if w.IO != nil && split == 0 {
		split = 0.5
	}
	st := &serverState{w: w, s: s,
		service: w.Service.NewSampler(m.Rand("workload/" + w.Name + "/service")),
		arrive:  distuv.Exponential{Rate: 1, Src: m.Rand("workload/" + w.Name + "/arrivals")}}
	if w.IO != nil {
		st.io = w.IO.NewSampler(m.Rand("workload/" + w.Name + "/io"))
	}
	s.startAt(w, func() error {
		st.start = m.Now()
		for i := 0; i < w.Workers; i++ {
			sw := &serverWorker{st: st}
			t, err := s.spawn(w, group, i, &st.tr, sw)
			if err != nil {
				return err
			}
			sw.t = t
		}
		st.scheduleArrival(m, m.Now(), split)
		return nil
	})
	m.AddReporter(reporterFunc(func(m *Machine) WorkloadResult { return st.report(m, group) }))
	return nil
}

// rateAt returns the rate in force at absolute time t and when it changes
// next (0 if never).
func (st *serverState) rateAt(t uint64) (float64, uint64) {
	sch := st.w.RateSchedule
	if len(sch) == 0 {
		return st.w.Rate, 0
	}
	rel := t - st.start
	rate := 0.0
	for i, s := range sch {
		if s.At > rel {
			return rate, st.start + sch[i].At
		}
		rate = s.Rate
	}
	return rate, 0
}

// scheduleArrival draws the next arrival after from: a non-homogeneous
// Poisson process with a piecewise-constant rate (the exponential is
// memoryless, so restarting the draw at each step is exact).
func (st *serverState) scheduleArrival(m *Machine, from uint64, split float64) {
	t := from
	for {
		rate, change := st.rateAt(t)
		if rate <= 0 {
			if change == 0 {
				return
			}
			t = change
			continue
		}
		gap := st.arrive.Rand() * 1e9 / rate
		if change != 0 && float64(t)+gap >= float64(change) {
			t = change
			continue
		}
		if float64(t)+gap >= float64(m.P.Duration) {
			return // after the end of the run
		}
		t += uint64(math.Round(gap))
		break
	}
	st.next = t
	m.At(t, func() { st.arrival(m, split) })
}

func (st *serverState) arrival(m *Machine, split float64) {
	now := m.Now()
	st.arrivals++
	if now >= m.P.Warmup {
		st.arrivalsAfterWarmup++
	}
	r := &request{arrival: now}
	svc := st.service.Sample()
	if st.io != nil {
		a := uint64(math.Round(float64(svc) * split))
		r.parts[0], r.parts[1], r.parts[2] = Run(a), Sleep(st.io.Sample()), Run(svc-a)
		r.n = 3
		if a == 0 { // no compute before the IO
			r.parts[0], r.parts[1] = r.parts[1], r.parts[2]
			r.n = 2
		}
		if svc-a == 0 {
			r.n--
		}
	} else {
		r.parts[0], r.n = Run(svc), 1
	}
	queued := len(st.queue) - st.qhead
	if st.w.QueueLimit > 0 && queued >= st.w.QueueLimit {
		st.dropped++
	} else {
		st.queue = append(st.queue, r)
		st.queMax = max(st.queMax, uint64(queued+1))
		if len(st.idle) > 0 {
			sw := st.idle[0]
			st.idle = st.idle[1:]
			sw.idle = false
			m.Wake(sw.t)
		}
	}
	st.scheduleArrival(m, now, split)
}

func (st *serverState) pop() *request {
	if st.qhead == len(st.queue) {
		return nil
	}
	r := st.queue[st.qhead]
	st.queue[st.qhead] = nil
	st.qhead++
	if st.qhead > 1024 && st.qhead*2 > len(st.queue) {
		st.queue = append(st.queue[:0], st.queue[st.qhead:]...)
		st.qhead = 0
	}
	return r
}

func (sw *serverWorker) Next(m *Machine, t *Task) Action {
	st := sw.st
	if r := sw.cur; r != nil {
		sw.part++
		if sw.part < r.n {
			return r.parts[sw.part]
		}
		if m.Now() >= m.P.Warmup { // completed in the measured window
			m.request(&st.lat, t.Group, m.Now()-r.arrival)
			st.done++
		}
		sw.cur = nil
		st.busyWorkers--
	}
	if r := st.pop(); r != nil {
		if m.Now() >= m.P.Warmup {
			st.queueDelay.Record(m.Now() - r.arrival)
		}
		sw.cur, sw.part = r, 0
		st.busyWorkers++
		return r.parts[0]
	}
	if !sw.idle {
		sw.idle = true
		st.idle = append(st.idle, sw)
	}
	return Block()
}

func (st *serverState) report(m *Machine, group int) WorkloadResult {
	r := baseResult(st.w, st.s, group, &st.tr)
	secs := measured(m)
	r.Completed = st.done
	r.Throughput = perSecond(st.done, secs)
	if st.lat.Count() > 0 {
		r.Latency = summary(&st.lat)
	}
	if st.queueDelay.Count() > 0 {
		r.QueueDelay = summary(&st.queueDelay)
	}
	arrRate := perSecond(st.arrivalsAfterWarmup, secs)
	r.Extra = []Stat{
		stat("arrival_rate", arrRate, "/s"),
		stat("offered_cpus", arrRate*st.w.Service.MeanNs()/1e9, "CPUs"),
		stat("arrivals", float64(st.arrivals), ""),
		stat("dropped", float64(st.dropped), ""),
		stat("queue_max", float64(st.queMax), ""),
		stat("queue_at_end", float64(len(st.queue)-st.qhead), ""),
		stat("busy_workers_at_end", float64(st.busyWorkers), ""),
	}
	return r
}
