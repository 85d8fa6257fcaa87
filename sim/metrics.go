package sim

import (
	"fmt"
	"math"
)

// Metrics are the run-wide measurements the core records.
type Metrics struct {
	// Delay is every runnable-to-running delay (perf sched latency).
	Delay Histogram
	// WakeLatency is the wakeup-to-running delay of woken tasks.
	WakeLatency Histogram
}

// recordDelay records the delays of t, switched in now, which runs from
// start (after the context switch).
func (mt *Metrics) recordDelay(m *Machine, t *Task, start uint64) {
	d := start - t.runnableSince
	t.Stats.DelaySum += d
	t.Stats.DelayMax = max(t.Stats.DelayMax, d)
	t.Stats.Delays++
	counted := m.now >= m.P.Warmup
	if counted {
		mt.Delay.Record(d)
	}
	if t.woken {
		wl := start - t.wokeAt
		t.Stats.WakeLatSum += wl
		t.Stats.WakeLatMax = max(t.Stats.WakeLatMax, wl)
		if counted {
			mt.WakeLatency.Record(wl)
		}
		t.woken = false
	}
	if t.onExt() {
		m.lag.sync(m, t)
		m.lag.check(m, t)
	}
}

// LatencyStats summarises a Histogram, in ns.
type LatencyStats struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_ns"`
	P50   uint64  `json:"p50_ns"`
	P90   uint64  `json:"p90_ns"`
	P99   uint64  `json:"p99_ns"`
	P999  uint64  `json:"p999_ns"`
	Max   uint64  `json:"max_ns"`
}

// Summary returns the percentiles of h.
func (h *Histogram) Summary() LatencyStats {
	return LatencyStats{Count: h.Count(), Mean: math.Round(h.Mean()*10) / 10,
		P50: h.Quantile(0.5), P90: h.Quantile(0.9), P99: h.Quantile(0.99),
		P999: h.Quantile(0.999), Max: h.Max()}
}

// Result is everything a run measured. It marshals to the JSON that
// `schedsim run --json` writes.
type Result struct {
	Policy     string `json:"policy"`
	Seed       uint64 `json:"seed"`
	DurationNs uint64 `json:"duration_ns"`
	// WindowNs is the measured window: the run after its warmup. Every
	// metric below covers it (events and the schedule hash cover the run).
	WindowNs     uint64  `json:"window_ns"`
	ScheduleHash string  `json:"schedule_hash"`
	Events       uint64  `json:"events"`
	Switches     uint64  `json:"switches"`
	CPUs         int     `json:"cpus"`
	Tasks        int     `json:"tasks"`
	Utilisation  float64 `json:"utilisation"`
	SchedTime    float64 `json:"sched_time_fraction"`
	// NoiseTime is the fraction of CPU time interrupts and kernel threads
	// took (machine.noise).
	NoiseTime float64 `json:"noise_time_fraction,omitempty"`
	// RTTime is the fraction of CPU time RT tasks ran (included in
	// Utilisation); absent without RT tasks.
	RTTime float64 `json:"rt_time_fraction,omitempty"`
	// FairTime is the fraction of CPU time fair (SCHED_NORMAL tasks
	// under SCX_OPS_SWITCH_PARTIAL) tasks ran (included in
	// Utilisation); absent without them.
	FairTime float64 `json:"fair_time_fraction,omitempty"`
	// DispatchWaits counts the dispatch flushes that waited for the
	// inserted task's ops.enqueue to return on another CPU (the kernel's
	// finish_dispatch(); only with interleaving).
	DispatchWaits uint64 `json:"dispatch_waits,omitempty"`

	Delay       LatencyStats `json:"runnable_delay"`
	WakeLatency LatencyStats `json:"wakeup_latency"`
	// Fairness is Jain's index over the CPU time per unit of weight and of
	// time alive of the tasks that never slept in the window; 1 is fair.
	// It is 0 when none of them ran at all.
	Fairness      float64 `json:"fairness"`
	FairnessTasks int     `json:"fairness_tasks"`
	// MaxLagNs is the largest |lag| of any task in the window against
	// affinity-aware weighted processor sharing of the machine, in ns;
	// MaxRqLagNs against weighted sharing of each task's runqueue
	// (task_cpu) among the tasks on it (lag.go, docs/config.md).
	MaxLagNs   float64 `json:"max_lag_ns"`
	MaxRqLagNs float64 `json:"max_rq_lag_ns"`
	// Starvation reports tasks kept from running.
	Starvation StarvationResult `json:"starvation"`

	Workloads []WorkloadResult `json:"workloads"`
	PerCPU    []CPUResult      `json:"per_cpu"`
	PerTask   []TaskResult     `json:"per_task"`
	Ejection  *EjectionResult  `json:"ejection,omitempty"`
	// Exit is the policy's exit information, what ops.exit received.
	Exit *ExitResult `json:"exit,omitempty"`
	// Extra holds sections contributed by other layers (e.g. BPF lock
	// statistics), keyed by name, marshalled in key order.
	Extra map[string]any `json:"extra,omitempty"`
}

// ExitResult is the exit information the policy's ops.exit was given (a
// struct scx_exit_info): at its ejection, or when the run ended and the
// policy was unregistered (SCX_EXIT_UNREG). scx's user-space loaders print
// it as UEI_REPORT does: "EXIT: reason (msg)".
type ExitResult struct {
	Kind     int    `json:"kind"`
	KindName string `json:"kind_name"`
	Code     int64  `json:"exit_code"`
	Reason   string `json:"reason"`
	Msg      string `json:"message,omitempty"`
	// Dump is the debug dump the policy's ops.exit received (ei->dump),
	// which scx's UEI_REPORT prints before the EXIT line.
	Dump string `json:"dump,omitempty"`
}

// EjectionResult reports a policy's ejection.
type EjectionResult struct {
	AtNs   uint64 `json:"at_ns"`
	Policy string `json:"policy"`
	Kind   int    `json:"kind"`
	Reason string `json:"reason"`
	Msg    string `json:"message"`
}

// CPUResult is one CPU's time split, as fractions of the run.
type CPUResult struct {
	CPU   int     `json:"cpu"`
	Busy  float64 `json:"busy"`
	Sched float64 `json:"sched"`
	Noise float64 `json:"noise,omitempty"`
	// RT is the part of Busy that RT tasks ran (class_rt.go).
	RT       float64 `json:"rt,omitempty"`
	Idle     float64 `json:"idle"`
	Switches uint64  `json:"switches"`
}

// TaskResult is one task's measurements (perf sched latency's columns and more).
type TaskResult struct {
	PID   int32  `json:"pid"`
	Comm  string `json:"comm"`
	Group string `json:"workload"`
	Nice  int    `json:"nice"`
	// Class is "rt" for an RT task (with its RTPriority), absent for
	// sched_ext tasks.
	Class      string  `json:"class,omitempty"`
	RTPriority int     `json:"rt_priority,omitempty"`
	RuntimeNs  uint64  `json:"runtime_ns"`
	Switches   uint64  `json:"switches"`
	Migrations uint64  `json:"migrations"`
	Wakeups    uint64  `json:"wakeups"`
	AvgDelayNs float64 `json:"avg_delay_ns"`
	MaxDelayNs uint64  `json:"max_delay_ns"`
	MaxLagNs   float64 `json:"max_lag_ns"`
	MaxRqLagNs float64 `json:"max_rq_lag_ns"`
	// LagNs and RqLagNs are the task's lags at the end of the run.
	LagNs   float64 `json:"lag_ns"`
	RqLagNs float64 `json:"rq_lag_ns"`
}

// WorkloadResult is what a workload measured.
type WorkloadResult struct {
	Name       string        `json:"name"`
	Kind       string        `json:"kind"`
	Tasks      int           `json:"tasks"`
	Completed  uint64        `json:"completed"`
	Throughput float64       `json:"throughput_per_s"`
	Latency    *LatencyStats `json:"latency,omitempty"`
	// WakeLatency is the wakeup latency of this workload's tasks (for a
	// server: its workers).
	WakeLatency *LatencyStats `json:"wakeup_latency,omitempty"`
	// QueueDelay (servers) is each request's wait in the server's queue,
	// from its arrival to a worker taking it.
	QueueDelay *LatencyStats `json:"queue_delay,omitempty"`
	Extra      []Stat        `json:"extra,omitempty"`
}

// Stat is a named figure.
type Stat struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// ResultExtender is implemented by policies that add sections to the
// result (the BPF bridge: lock statistics, instructions per callback).
type ResultExtender interface {
	ResultExtra() map[string]any
}

// Reporter produces a workload's results at the end of a run.
type Reporter interface {
	Report(m *Machine) WorkloadResult
}

// AddReporter registers a workload's reporter; reports appear in
// registration order.
func (m *Machine) AddReporter(r Reporter) { m.reporters = append(m.reporters, r) }

func (m *Machine) finish() *Result {
	defer m.stopCoroutines()
	m.unregister()
	for _, h := range m.hooks {
		h(m)
	}
	for _, c := range m.cpus {
		m.account(c)
	}
	win := max(m.now-min(m.winStart, m.now), 1)
	dur := float64(win)
	r := &Result{Policy: m.policyName, Seed: m.P.Seed, DurationNs: m.now, WindowNs: m.now - min(m.winStart, m.now),
		ScheduleHash: fmt.Sprintf("%016x", m.hash), Events: m.Events(), Switches: m.switches - m.winSwitches, DispatchWaits: m.dspWaits,
		CPUs: len(m.cpus), Tasks: len(m.tasks)}
	var busy, sched, noise, rt, fair float64
	for _, c := range m.cpus {
		b := float64(c.Stats.Busy-c.win.Busy) / dur
		s := float64(c.Stats.Sched-c.win.Sched) / dur
		n := float64(c.Stats.Noise-c.win.Noise) / dur
		x := float64(c.Stats.RT-c.win.RT) / dur
		r.PerCPU = append(r.PerCPU, CPUResult{CPU: c.ID, Busy: round4(b), Sched: round4(s), Noise: round4(n),
			RT: round4(x), Idle: round4(max(0, 1-b-s-n)), Switches: c.Stats.Switches - c.win.Switches})
		busy += b
		sched += s
		noise += n
		rt += x
		fair += float64(c.Stats.Fair-c.win.Fair) / dur
	}
	r.RTTime = round4(rt / float64(len(m.cpus)))
	r.FairTime = round4(fair / float64(len(m.cpus)))
	r.Utilisation = round4(busy / float64(len(m.cpus)))
	r.SchedTime = round4(sched / float64(len(m.cpus)))
	r.NoiseTime = round4(noise / float64(len(m.cpus)))
	r.Delay = m.Metrics.Delay.Summary()
	r.WakeLatency = m.Metrics.WakeLatency.Summary()
	var xs []float64
	var ran bool
	for _, t := range m.tasks {
		if t.Runnable() && t.onExt() {
			m.lag.sync(m, t)
			m.lag.check(m, t)
		}
		st, w := &t.Stats, &t.win
		rt := st.Runtime - w.Runtime
		if st.Wakeups == w.Wakeups && t.state != TaskExited && t.onExt() {
			// CPU time per unit of weight and of time alive in the window
			alive := float64(m.now - max(t.forkedAt, m.winStart))
			if alive > 0 {
				xs = append(xs, float64(rt)/float64(t.Weight)/alive)
				ran = ran || rt > 0
			}
		}
		tr := TaskResult{PID: t.PID, Comm: t.Comm, Group: m.groupName(t.Group), Nice: t.Nice,
			RuntimeNs: rt, Switches: st.Switches - w.Switches, Migrations: st.Migrations - w.Migrations,
			Wakeups: st.Wakeups - w.Wakeups, MaxDelayNs: st.DelayMax, MaxLagNs: math.Round(st.MaxLag),
			MaxRqLagNs: math.Round(st.MaxRqLag), LagNs: math.Round(m.Lag(t)), RqLagNs: math.Round(m.RqLag(t))}
		if !t.onExt() {
			// RT tasks are outside the fair share the lags measure
			tr.Class, tr.RTPriority = t.class.String(), t.rtPrio
			tr.MaxLagNs, tr.MaxRqLagNs, tr.LagNs, tr.RqLagNs = 0, 0, 0, 0
		}
		if n := st.Delays - w.Delays; n > 0 {
			tr.AvgDelayNs = math.Round(float64(st.DelaySum-w.DelaySum) / float64(n))
		}
		r.PerTask = append(r.PerTask, tr)
	}
	r.Fairness, r.FairnessTasks = 1, len(xs)
	switch {
	case len(xs) >= 2 && !ran:
		r.Fairness = 0 // none of them ran: undefined, reported as 0
	case len(xs) >= 2:
		r.Fairness = round4(JainIndex(xs))
	}
	r.MaxLagNs = math.Round(m.lag.max)
	r.MaxRqLagNs = math.Round(m.lag.rqMax)
	r.Starvation = m.starvation()
	for _, rep := range m.reporters {
		r.Workloads = append(r.Workloads, rep.Report(m))
	}
	if x, ok := m.policy.(ResultExtender); ok {
		r.Extra = x.ResultExtra()
	}
	if e := m.ejected; e != nil {
		r.Ejection = &EjectionResult{AtNs: e.At, Policy: e.Policy, Kind: e.Info.Kind, Reason: e.Info.Reason, Msg: e.Info.Msg}
		r.Exit = &ExitResult{Kind: e.Info.Kind, KindName: ExitKindName(e.Info.Kind), Code: e.Info.Code, Reason: e.Info.Reason, Msg: e.Info.Msg, Dump: e.Info.Dump}
	} else if x := m.unregInfo; x != nil {
		r.Exit = &ExitResult{Kind: x.Kind, KindName: ExitKindName(x.Kind), Code: x.Code, Reason: x.Reason, Msg: x.Msg}
	}
	return r
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// JainIndex is Jain's fairness index (sum x)^2 / (n * sum x^2).
func JainIndex(xs []float64) float64 {
	var s, s2 float64
	for _, x := range xs {
		s += x
		s2 += x * x
	}
	if s2 == 0 {
		return 1
	}
	return s * s / (float64(len(xs)) * s2)
}

// SetGroupNames names workload groups for reports (index = TaskSpec.Group).
func (m *Machine) SetGroupNames(names []string) { m.groups = names }

func (m *Machine) groupName(g int) string {
	if g >= 0 && g < len(m.groups) {
		return m.groups[g]
	}
	return ""
}
