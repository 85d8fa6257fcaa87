package sim

import (
	"fmt"
	"strings"
)

// Scenario is a machine with its workloads installed, ready to run. Build
// one from a config with Config.Build, or from Go with NewScenario.
type Scenario struct {
	Machine   *Machine
	Workloads []Workload

	tasks   [][]*Task // by group (workload index)
	byComm  map[string]*Task
	groupOf map[string]int
	err     error
}

// NewScenario creates a machine running sched with params p and installs
// the workloads, which must have distinct names.
func NewScenario(p Params, sched Scheduler, ws []Workload) (*Scenario, error) {
	if p.Duration == 0 {
		return nil, fmt.Errorf("scenario: the run duration must be positive")
	}
	if p.Warmup >= p.Duration {
		return nil, fmt.Errorf("scenario: warmup %s is not shorter than the duration %s",
			FormatDuration(p.Warmup), FormatDuration(p.Duration))
	}
	s := &Scenario{Workloads: ws, tasks: make([][]*Task, len(ws)),
		byComm: map[string]*Task{}, groupOf: map[string]int{}}
	names := make([]string, len(ws))
	for i, w := range ws {
		if err := w.Validate(); err != nil {
			return nil, err
		}
		n := w.Common().Name
		if _, dup := s.groupOf[n]; dup {
			return nil, fmt.Errorf("scenario: two workloads are named %q", n)
		}
		s.groupOf[n] = i
		names[i] = n
	}
	if err := checkTaskBudget(p, ws); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	m, err := NewMachine(p, sched)
	if err != nil {
		return nil, err
	}
	s.Machine = m
	m.SetGroupNames(names)
	ncpu := len(m.CPUs())
	for i, w := range ws {
		for _, c := range w.Common().Affinity {
			if c < 0 || c >= ncpu {
				return nil, fmt.Errorf("workload %s: affinity CPU %d does not exist (the machine has CPUs 0-%d)", names[i], c, ncpu-1)
			}
		}
		if cg := w.Common().Cgroup; cg != "" {
			if err := m.SetGroupCgroup(i, cg); err != nil {
				return nil, fmt.Errorf("workload %s: %w", names[i], err)
			}
		}
		if err := w.Install(s, i); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Run runs the scenario to its end and returns the results.
func (s *Scenario) Run() (*Result, error) {
	r, err := s.Machine.Run()
	if err == nil {
		err = s.err
	}
	return r, err
}

// Tasks returns the tasks workload i has created so far.
func (s *Scenario) Tasks(i int) []*Task { return s.tasks[i] }

// Lookup returns the tasks a name designates: every task of the workload
// of that name, or the one task of that comm (name-N). Tasks of a workload
// that has not started yet are not found.
func (s *Scenario) Lookup(name string) []*Task {
	if g, ok := s.groupOf[name]; ok {
		return s.tasks[g]
	}
	if t, ok := s.byComm[name]; ok {
		return []*Task{t}
	}
	return nil
}

// knownTarget reports whether name designates a workload or a task that
// the workloads ws will create.
func knownTarget(ws []Workload, name string) bool {
	for _, w := range ws {
		c := w.Common()
		if c.Name == name {
			return true
		}
		rest, ok := strings.CutPrefix(name, c.Name+"-")
		if !ok {
			continue
		}
		n, isNum := atoiStrict(rest)
		if isNum && n < w.NumTasks() {
			return true
		}
	}
	return false
}

func atoiStrict(s string) (int, bool) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
