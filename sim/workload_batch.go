package sim

import (
	"fmt"
	"math"
)

// Batch is Tasks CPU-bound tasks that never sleep: each runs in bursts of
// Burst ns forever. It reports their CPU time and shares.
type Batch struct {
	WorkloadSpec
	Tasks int
	// Burst is the length of each CPU burst (how often the task's behavior
	// is consulted; it does not yield between bursts). Default 100ms.
	Burst uint64
}

func (w *Batch) Kind() string  { return "batch" }
func (w *Batch) NumTasks() int { return w.Tasks }

func (w *Batch) Validate() error {
	if err := w.validate(); err != nil {
		return err
	}
	if w.Tasks < 1 {
		return fmt.Errorf("batch %s: needs at least one task", w.Name)
	}
	return nil
}

// batchPerTaskShares is the largest workload whose per-task shares are
// listed one by one in its results.
const batchPerTaskShares = 16

func (w *Batch) Install(s *Scenario, group int) error {
	m := s.Machine
	burst := w.Burst
	if burst == 0 {
		burst = 100_000_000
	}
	tr := &tracker{}
	var started uint64
	b := BehaviorFunc(func(*Machine, *Task) Action { return Run(burst) })
	s.startAt(w, func() error {
		started = m.Now()
		for i := 0; i < w.Tasks; i++ {
			if _, err := s.spawn(w, group, i, tr, b); err != nil {
				return err
			}
		}
		return nil
	})
	m.AddReporter(reporterFunc(func(m *Machine) WorkloadResult {
		r := baseResult(w, s, group, tr)
		life := float64(m.Now() - min(started, m.Now()))
		var total float64
		shares := make([]float64, 0, len(s.tasks[group]))
		norm := make([]float64, 0, len(s.tasks[group]))
		for _, t := range s.tasks[group] {
			total += float64(t.Stats.Runtime)
			sh := 0.0
			if life > 0 {
				sh = float64(t.Stats.Runtime) / life
			}
			shares = append(shares, sh)
			norm = append(norm, float64(t.Stats.Runtime)/float64(t.Weight))
		}
		if len(shares) == 0 {
			return r
		}
		lo, hi := math.Inf(1), 0.0
		for _, sh := range shares {
			lo, hi = min(lo, sh), max(hi, sh)
		}
		r.Extra = []Stat{
			stat("cpu_time", total/1e9, "s"),
			stat("cpus_used", total/max(life, 1), "CPUs"),
			stat("share_mean", total/max(life, 1)/float64(len(shares)), "CPU"),
			stat("share_min", lo, "CPU"),
			stat("share_max", hi, "CPU"),
			stat("jain", JainIndex(norm), ""),
		}
		if len(shares) <= batchPerTaskShares {
			for i, sh := range shares {
				r.Extra = append(r.Extra, stat("share "+w.comm(i), sh, "CPU"))
			}
		}
		return r
	}))
	return nil
}
