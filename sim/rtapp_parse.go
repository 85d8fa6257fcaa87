package sim

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// Reading an rt-app JSON file into an RTApp workload: the subset schedsim
// runs, every other key an error at its position.

// rtappUnsupported are rt-app keys schedsim knows and does not run.
var rtappUnsupported = []string{"lock", "unlock", "wait", "signal", "broad", "sync", "barrier", "memrun", "mem",
	"iorun", "yield", "fork", "sem_post", "sem_wait", "util_min", "util_max", "nodes_membind", "taskgroup",
	"dl-runtime", "dl-period", "dl-deadline", "period", "deadline"}

var rtappGlobalKeys = []string{"duration", "calibration", "default_policy", "pi_enabled", "lock_pages", "logdir",
	"log_basename", "log_size", "ftrace", "gnuplot", "io_device", "mem_buffer_size", "cumulative_slack"}

// LoadRTApp reads an rt-app JSON file into a workload for a machine of
// ncpu CPUs.
func LoadRTApp(spec WorkloadSpec, file string, ncpu int) (*RTApp, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	root, err := parseJSONPos(file, data)
	if err != nil {
		return nil, err
	}
	r := &rtappReader{ncpu: ncpu}
	w := &RTApp{WorkloadSpec: spec, File: file}
	r.top(root, w)
	if r.err != nil {
		return nil, r.err
	}
	return w, nil
}

// rtappReader decodes the JSON tree, keeping the first error.
type rtappReader struct {
	ncpu    int
	defPol  string // global default_policy
	err     error
	resumes []jsonMember // resume events, checked once all threads are known
}

func (r *rtappReader) errf(p Pos, format string, args ...any) {
	if r.err == nil {
		r.err = &ConfigError{Pos: p, Msg: fmt.Sprintf(format, args...)}
	}
}

func (r *rtappReader) want(n *jsonNode, kind jsonKind, what string) bool {
	if n.kind != kind {
		r.errf(n.pos, "%s: expected %s, found %s", what, kind, n.kind)
		return false
	}
	return true
}

// integer reads a whole number in [lo, hi].
func (r *rtappReader) integer(n *jsonNode, what string, lo, hi float64) int64 {
	if !r.want(n, jsonNumber, what) {
		return 0
	}
	if n.num != math.Trunc(n.num) || n.num < lo || n.num > hi {
		r.errf(n.pos, "%s: expected an integer from %g to %g, found %g", what, lo, hi, n.num)
		return 0
	}
	return int64(n.num)
}

// usec reads a duration in microseconds as ns.
func (r *rtappReader) usec(n *jsonNode, what string) uint64 {
	return uint64(r.integer(n, what+" (us)", 0, 1e12)) * 1000
}

func (r *rtappReader) top(root *jsonNode, w *RTApp) {
	if !r.want(root, jsonObject, "an rt-app file") {
		return
	}
	var tasks *jsonNode
	for _, m := range root.obj {
		switch m.key {
		case "tasks":
			tasks = m.val
		case "resources":
		case "global":
			if r.want(m.val, jsonObject, "global") {
				for _, g := range m.val.obj {
					if !slices.Contains(rtappGlobalKeys, g.key) {
						r.errf(g.keyPos, "global: unknown key %q; rt-app's global keys: %s", g.key, strings.Join(rtappGlobalKeys, ", "))
					}
					if g.key == "default_policy" {
						r.defPol = r.policy(g.val)
					}
				}
			}
		default:
			r.errf(m.keyPos, "unknown top-level key %q; expected tasks, global or resources", m.key)
		}
	}
	if tasks == nil {
		r.errf(root.pos, "missing key \"tasks\": an rt-app file describes its threads in a tasks object")
		return
	}
	if !r.want(tasks, jsonObject, "tasks") {
		return
	}
	for _, m := range tasks.obj {
		if !validName(m.key) {
			r.errf(m.keyPos, "thread name %q: expected 1 to 64 letters, digits, '_', '-' or '.'", m.key)
		}
		w.Threads = append(w.Threads, r.thread(m))
	}
	for _, m := range r.resumes {
		if !slices.ContainsFunc(w.Threads, func(t RTThread) bool { return t.Name == m.val.str }) {
			r.errf(m.val.pos, "resume: no thread is named %q", m.val.str)
		}
	}
}

// policy reads a scheduling policy: SCHED_OTHER, SCHED_BATCH and
// SCHED_IDLE threads are sched_ext tasks, SCHED_FIFO ones RT tasks.
func (r *rtappReader) policy(n *jsonNode) string {
	if r.want(n, jsonString, "policy") {
		switch n.str {
		case "SCHED_OTHER", "SCHED_BATCH", "SCHED_IDLE", "SCHED_FIFO", "SCHED_RR":
			return n.str
		default:
			r.errf(n.pos, "policy %q is not supported: SCHED_OTHER, SCHED_BATCH and SCHED_IDLE threads run as sched_ext tasks, SCHED_FIFO and SCHED_RR ones in the RT class; SCHED_DEADLINE is not simulated", n.str)
		}
	}
	return ""
}

// rtappDefaultRTPriority is rt-app's DEFAULT_THREAD_PRIORITY, the
// priority of a SCHED_FIFO thread that gives none.
const rtappDefaultRTPriority = 10

func (r *rtappReader) thread(tm jsonMember) RTThread {
	th := RTThread{Name: tm.key, Instances: 1, Loop: -1}
	if !r.want(tm.val, jsonObject, "thread "+tm.key) {
		return th
	}
	var phases, prio *jsonNode
	pol := ""
	events := RTPhase{Name: tm.key, Loop: 1}
	for _, m := range tm.val.obj {
		switch m.key {
		case "instance":
			th.Instances = int(r.integer(m.val, "instance", 0, maxTasksPerWorkload))
		case "loop":
			th.Loop = r.loop(m.val)
		case "priority":
			prio = m.val
		case "policy":
			pol = r.policy(m.val)
		case "delay":
			th.Delay = r.usec(m.val, "delay")
		case "cpus":
			th.CPUs = r.cpus(m.val)
		case "phases":
			phases = m.val
		default:
			r.event(m, &events)
		}
	}
	if pol == "" {
		pol = r.defPol
	}
	rt := pol == "SCHED_FIFO" || pol == "SCHED_RR"
	th.RTRoundRobin = pol == "SCHED_RR"
	switch {
	case rt && prio != nil:
		th.RTPriority = int(r.integer(prio, "priority (the rt_priority of a SCHED_FIFO or SCHED_RR thread)", 1, MaxRTPrio-1))
	case rt:
		th.RTPriority = rtappDefaultRTPriority
	case prio != nil:
		th.Nice = int(r.integer(prio, "priority (the nice value of a SCHED_OTHER thread)", -20, 19))
	}
	if phases != nil {
		if len(events.Events) > 0 {
			r.errf(phases.pos, "thread %s has both phases and events of its own; put the events in a phase", tm.key)
		}
		if r.want(phases, jsonObject, "phases") {
			for _, pm := range phases.obj {
				th.Phases = append(th.Phases, r.phase(pm))
			}
		}
	} else {
		th.Phases = []RTPhase{events}
	}
	takesTime := false
	for _, ph := range th.Phases {
		for _, e := range ph.Events {
			takesTime = takesTime || e.Kind != RTResume && (e.D > 0 || e.Kind == RTSuspend)
		}
	}
	if !takesTime && r.err == nil {
		r.errf(tm.keyPos, "thread %s: no run, sleep, timer or suspend event of positive length (it would never let time pass)", tm.key)
	}
	return th
}

func (r *rtappReader) loop(n *jsonNode) int {
	v := int(r.integer(n, "loop", -1, math.MaxInt32))
	if v == 0 && r.err == nil {
		r.errf(n.pos, "loop: expected -1 (forever) or a positive count")
	}
	return v
}

func (r *rtappReader) cpus(n *jsonNode) []int {
	if !r.want(n, jsonArray, "cpus") {
		return nil
	}
	var cs []int
	for _, e := range n.arr {
		c := int(r.integer(e, "cpus", 0, float64(NrCPUs-1)))
		if r.ncpu > 0 && c >= r.ncpu {
			r.errf(e.pos, "cpus: CPU %d does not exist (the machine has CPUs 0-%d)", c, r.ncpu-1)
		}
		if !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 && r.err == nil {
		r.errf(n.pos, "cpus: empty list")
	}
	return cs
}

func (r *rtappReader) phase(pm jsonMember) RTPhase {
	ph := RTPhase{Name: pm.key, Loop: 1}
	if !r.want(pm.val, jsonObject, "phase "+pm.key) {
		return ph
	}
	for _, m := range pm.val.obj {
		switch m.key {
		case "loop":
			ph.Loop = r.loop(m.val)
			if ph.Loop < 0 && r.err == nil {
				r.errf(m.val.pos, "loop: a phase runs a positive number of times")
			}
		case "cpus", "priority", "policy":
			r.errf(m.keyPos, "%s at phase level is not supported by schedsim; set it on the thread", m.key)
		default:
			r.event(m, &ph)
		}
	}
	return ph
}

// event reads one event key (matched by prefix, as rt-app does).
func (r *rtappReader) event(m jsonMember, ph *RTPhase) {
	k := m.key
	switch {
	case strings.HasPrefix(k, "runtime"), strings.HasPrefix(k, "run"):
		ph.Events = append(ph.Events, RTEvent{Kind: RTRun, D: r.usec(m.val, k)})
	case strings.HasPrefix(k, "sleep"):
		ph.Events = append(ph.Events, RTEvent{Kind: RTSleep, D: r.usec(m.val, k)})
	case strings.HasPrefix(k, "timer"):
		ph.Events = append(ph.Events, r.timer(m))
	case strings.HasPrefix(k, "suspend"):
		ph.Events = append(ph.Events, RTEvent{Kind: RTSuspend})
	case strings.HasPrefix(k, "resume"):
		if r.want(m.val, jsonString, k) {
			r.resumes = append(r.resumes, m)
			ph.Events = append(ph.Events, RTEvent{Kind: RTResume, Ref: m.val.str})
		}
	default:
		for _, u := range rtappUnsupported {
			if strings.HasPrefix(k, u) {
				r.errf(m.keyPos, "rt-app key %q is not supported by schedsim; supported events: run, runtime, sleep, timer, suspend, resume (docs/traces.md)", k)
				return
			}
		}
		r.errf(m.keyPos, "unknown rt-app key %q; expected instance, loop, priority, policy, cpus, delay, phases or an event (run, runtime, sleep, timer, suspend, resume)", k)
	}
}

func (r *rtappReader) timer(m jsonMember) RTEvent {
	e := RTEvent{Kind: RTTimer}
	if !r.want(m.val, jsonObject, m.key) {
		return e
	}
	for _, f := range m.val.obj {
		switch f.key {
		case "ref":
			if r.want(f.val, jsonString, "timer ref") {
				e.Ref = f.val.str
			}
		case "period":
			e.D = r.usec(f.val, "timer period")
		case "mode":
			if r.want(f.val, jsonString, "timer mode") {
				switch f.val.str {
				case "relative":
				case "absolute":
					e.Absolute = true
				default:
					r.errf(f.val.pos, "timer mode %q: expected relative or absolute", f.val.str)
				}
			}
		default:
			r.errf(f.keyPos, "unknown timer key %q; expected ref, period, mode", f.key)
		}
	}
	if e.D == 0 && r.err == nil {
		r.errf(m.val.pos, "%s: needs a positive period (us)", m.key)
	}
	return e
}
