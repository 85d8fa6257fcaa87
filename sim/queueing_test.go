package sim

import (
	"math"
	"testing"
)

// erlangC returns the probability that an arrival waits in an M/M/c queue
// with offered load a = lambda/mu (Erlang's C formula).
func erlangC(c int, a float64) float64 {
	// Sum_{k<c} a^k/k! and a^c/c! * c/(c-a), computed iteratively.
	term, sum := 1.0, 0.0
	for k := 0; k < c; k++ {
		sum += term
		term *= a / float64(k+1)
	}
	top := term * float64(c) / (float64(c) - a)
	return top / (sum + top)
}

// mmcServer runs requests arriving as a Poisson process (rate lambda per
// ns) with exponential service (mean s ns) on a pool of workers; it records
// each request's wait from arrival to start of service.
type mmcServer struct {
	queue   []uint64 // arrival times
	idle    []*Task
	waits   Histogram
	warmup  uint64
	service func() uint64
}

func (s *mmcServer) worker() Behavior {
	return BehaviorFunc(func(m *Machine, t *Task) Action {
		if len(s.queue) == 0 {
			s.idle = append(s.idle, t)
			return Block()
		}
		arr := s.queue[0]
		s.queue = s.queue[1:]
		if arr >= s.warmup {
			s.waits.Record(m.Now() - arr)
		}
		return Run(s.service())
	})
}

func runMMC(t *testing.T, cpus int, rho float64, seed uint64, dur uint64) float64 {
	const meanService = 1e6 // 1 ms
	p := testParams(cpus)
	// Theory has no switching costs: set them to 0 explicitly.
	p.ContextSwitch, p.IPI, p.Wakeup = 0, 0, 0
	p.Seed = seed
	p.Duration = dur
	m := mustMachine(t, p, &FIFO{Slice: SliceInf})
	rs := m.Rand("service")
	ra := m.Rand("arrivals")
	s := &mmcServer{warmup: dur / 20, service: func() uint64 { return uint64(rs.ExpFloat64()*meanService) + 1 }}
	for i := 0; i < 16*cpus; i++ {
		spawn(t, m, "w", s.worker())
	}
	lambda := rho * float64(cpus) / meanService
	var arrive func()
	arrive = func() {
		s.queue = append(s.queue, m.Now())
		// Wake one blocked worker, if any; busy ones pick the request up.
		for len(s.idle) > 0 {
			w := s.idle[len(s.idle)-1]
			s.idle = s.idle[:len(s.idle)-1]
			if w.State() == TaskSleeping {
				m.Wake(w)
				break
			}
		}
		m.After(uint64(ra.ExpFloat64()/lambda)+1, arrive)
	}
	m.After(0, arrive)
	m.Run()
	return s.waits.Mean()
}

func TestFIFOMatchesErlangC(t *testing.T) {
	if testing.Short() {
		t.Skip("long statistical validation")
	}
	for _, tc := range []struct {
		cpus int
		rho  float64
	}{{1, 0.5}, {1, 0.8}, {4, 0.5}, {4, 0.8}} {
		a := tc.rho * float64(tc.cpus)
		want := erlangC(tc.cpus, a) / (float64(tc.cpus) - a) * 1e6 // Wq = C/(c*mu - lambda)
		// Average over seeds: waiting times are strongly autocorrelated at
		// high load, so one long run is no better than several shorter ones.
		var sum float64
		const seeds = 4
		for seed := uint64(1); seed <= seeds; seed++ {
			sum += runMMC(t, tc.cpus, tc.rho, seed, 400e9)
		}
		got := sum / seeds
		if d := math.Abs(got-want) / want; d > 0.05 {
			t.Errorf("M/M/%d rho=%.1f: mean wait %.0f ns, Erlang C %.0f ns (%.1f%% off)", tc.cpus, tc.rho, got, want, d*100)
		} else {
			t.Logf("M/M/%d rho=%.1f: mean wait %.0f ns, Erlang C %.0f ns (%.2f%% off)", tc.cpus, tc.rho, got, want, d*100)
		}
	}
}
