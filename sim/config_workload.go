package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// commonWorkloadKeys are the keys every [[workload]] table may have.
var commonWorkloadKeys = []string{"kind", "name", "start", "nice", "affinity", "cgroup", "class", "rt_priority", "rt_policy", "sched_policy"}

// workloadKeys are the keys of each kind, besides the common ones.
var workloadKeys = map[string][]string{
	"server":    {"rate", "rate_schedule", "workers", "service", "io", "split", "queue_limit"},
	"batch":     {"tasks", "burst"},
	"periodic":  {"tasks", "period", "run", "jitter", "deadline"},
	"messaging": {"groups", "senders", "receivers", "messages", "send_cost", "recv_cost", "capacity"},
	"schbench":  {"groups", "workers", "sleep", "work", "msg_cost"},
	"phases":    {"tasks", "repeat", "steps"},
	"trace":     {"file", "pin", "switch_cost", "exclude"},
	"rtapp":     {"file"},
}

// maxTasksPerWorkload bounds the tasks one workload may create.
const maxTasksPerWorkload = 1 << 20

// wakeCheck is a phases wake step whose target is checked once every
// workload is known.
type wakeCheck struct {
	path string
	w    *Phases
	step int
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (d *decoder) workloads(rt *table, c *Config) {
	arr, ok := rt.array("workload")
	if !ok {
		return
	}
	type named struct {
		path string
		w    Workload
	}
	var all []named
	var wakes []wakeCheck
	for i, v := range arr {
		path := elemPath("workload", i)
		m, ok := v.(map[string]any)
		if !ok {
			d.errorf(path, "expected a table ([[workload]]), found %s", typeName(v))
			continue
		}
		w, wk := d.workload(path, i, m, c)
		if w != nil {
			all = append(all, named{path, w})
			c.Workloads = append(c.Workloads, w)
		}
		wakes = append(wakes, wk...)
	}
	// Names are unique, and no name is also a task of another workload.
	for i, a := range all {
		na := a.w.Common().Name
		nameKey := keyPath(a.path, "name")
		for _, b := range all[:i] {
			if b.w.Common().Name == na {
				d.errorf(nameKey, "duplicate workload name %q (also %s); names must be unique", na, b.path)
			}
		}
		for _, b := range all {
			if b.w != a.w && knownTarget([]Workload{b.w}, na) && b.w.Common().Name != na {
				d.errorf(nameKey, "workload name %q is also the name of a task of workload %q", na, b.w.Common().Name)
			}
		}
	}
	for _, wc := range wakes {
		st := wc.w.Steps[wc.step]
		for i := 0; i < wc.w.Tasks; i++ {
			tg := st.target(i)
			if !knownTarget(c.Workloads, tg) {
				var names []string
				for _, w := range c.Workloads {
					names = append(names, w.Common().Name)
				}
				d.errorf(wc.path, "wake target %q (for task %d) is neither a workload nor a task (name-N); workloads: %s",
					tg, i, strings.Join(names, ", "))
				break
			}
		}
	}
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isBareKeyChar(c) || c == '.') {
			return false
		}
	}
	return true
}

// workload decodes one [[workload]] table.
func (d *decoder) workload(path string, i int, m map[string]any, c *Config) (Workload, []wakeCheck) {
	t := d.table(path, "[[workload]]", m, commonWorkloadKeys...)
	nerr := len(d.errs)
	kind := ""
	if !t.has("kind") {
		d.errorf(keyPath(path, "kind"), "missing key: every workload needs a kind; valid kinds: %s", strings.Join(WorkloadKinds, ", "))
	} else {
		kind = t.str("kind", "", WorkloadKinds...)
	}
	spec := WorkloadSpec{Name: fmt.Sprintf("%s%d", kind, i)}
	if kind == "" {
		spec.Name = fmt.Sprintf("workload%d", i)
	}
	spec.Name = t.str("name", spec.Name)
	if !validName(spec.Name) {
		d.errorf(t.key("name"), "invalid name %q: expected 1 to 64 letters, digits, '_', '-' or '.'", spec.Name)
	}
	spec.Start = t.duration("start", 0)
	if spec.Start > 0 && spec.Start >= c.Run.Duration {
		d.errorf(t.key("start"), "start %s is not before the end of the run (run.duration = %s)",
			FormatDuration(spec.Start), FormatDuration(c.Run.Duration))
	}
	spec.Nice = int(t.integer("nice", 0, -20, 19))
	spec.Affinity = t.cpuList("affinity", c.ncpu())
	spec.Cgroup = t.str("cgroup", "")
	d.taskClass(t, &spec)
	if kind == "" {
		// Without a kind the other keys cannot be checked; report only
		// the missing kind.
		return nil, nil
	}
	t.what = fmt.Sprintf("[[workload]] of kind %s", kind)
	t.allow(workloadKeys[kind]...)
	var w Workload
	var wakes []wakeCheck
	switch kind {
	case "server":
		w = d.server(t, spec)
	case "batch":
		w = &Batch{WorkloadSpec: spec, Tasks: d.tasks(t, "tasks", 1), Burst: t.duration("burst", 100_000_000)}
		if w.(*Batch).Burst == 0 {
			d.errorf(t.key("burst"), "burst must be positive")
		}
	case "periodic":
		p := &Periodic{WorkloadSpec: spec, Tasks: d.tasks(t, "tasks", 1)}
		p.Period = d.requiredDuration(t, "period")
		p.Run = d.requiredDist(t, "run")
		p.Jitter = t.duration("jitter", 0)
		p.Deadline = t.duration("deadline", p.Period)
		if t.has("deadline") && p.Deadline == 0 {
			d.errorf(t.key("deadline"), "deadline must be positive")
		}
		w = p
	case "messaging":
		ms := &Messaging{WorkloadSpec: spec, Groups: d.tasks(t, "groups", 1),
			Senders: d.tasks(t, "senders", 20), Receivers: d.tasks(t, "receivers", 20),
			Messages: int(t.integer("messages", 100, 0, math.MaxInt32)),
			Capacity: int(t.integer("capacity", 256, 0, math.MaxInt32))}
		ms.SendCost = d.optionalDist(t, "send_cost", Const(2000))
		ms.RecvCost = d.optionalDist(t, "recv_cost", Const(2000))
		if int64(ms.Groups)*int64(ms.Senders+ms.Receivers) > maxTasksPerWorkload {
			d.errorf(t.path, "groups x (senders + receivers) = %d tasks; at most %d per workload",
				int64(ms.Groups)*int64(ms.Senders+ms.Receivers), maxTasksPerWorkload)
		}
		w = ms
	case "schbench":
		sb := &Schbench{WorkloadSpec: spec, Groups: d.tasks(t, "groups", 1), Workers: d.tasks(t, "workers", 4)}
		sb.Sleep = d.optionalDist(t, "sleep", Const(0))
		sb.Work = d.requiredDist(t, "work")
		sb.MsgCost = d.optionalDist(t, "msg_cost", Const(0))
		if int64(sb.Groups)*int64(1+sb.Workers) > maxTasksPerWorkload {
			d.errorf(t.path, "groups x (1 + workers) = %d tasks; at most %d per workload",
				int64(sb.Groups)*int64(1+sb.Workers), maxTasksPerWorkload)
		}
		w = sb
	case "trace", "rtapp":
		w = d.fileWorkload(t, kind, spec, c)
		if w == nil {
			t.finish()
			return nil, nil
		}
	case "phases":
		ph := &Phases{WorkloadSpec: spec, Tasks: d.tasks(t, "tasks", 1),
			Repeat: int(t.integer("repeat", 0, 0, math.MaxInt32))}
		wakes = d.steps(t, ph)
		w = ph
	}
	t.finish()
	if len(d.errs) > nerr {
		return nil, nil
	}
	if err := w.Validate(); err != nil {
		d.errorf(path, "%v", err)
		return nil, nil
	}
	return w, wakes
}

func (d *decoder) tasks(t *table, key string, def int64) int {
	return int(t.integer(key, def, 1, maxTasksPerWorkload))
}

func (d *decoder) requiredDuration(t *table, key string) uint64 {
	if !t.has(key) {
		d.errorf(t.key(key), "missing key; expected %s", durationHelp)
		return 0
	}
	v := t.duration(key, 0)
	if v == 0 {
		d.errorf(t.key(key), "must be positive")
	}
	return v
}

func (d *decoder) server(t *table, spec WorkloadSpec) *Server {
	w := &Server{WorkloadSpec: spec, Workers: d.tasks(t, "workers", 4)}
	switch {
	case t.has("rate") && t.has("rate_schedule"):
		t.get("rate")
		t.get("rate_schedule")
		d.errorf(t.key("rate_schedule"), "give either rate or rate_schedule, not both")
	case t.has("rate"):
		w.Rate = t.number("rate", 0, 0, 1e9)
	case t.has("rate_schedule"):
		w.RateSchedule = d.rateSchedule(t)
	default:
		d.errorf(t.key("rate"), "missing key: a server needs rate (requests per second) or rate_schedule ([[time, rate], ...])")
	}
	w.Service = d.requiredDist(t, "service")
	if t.has("io") {
		io := d.optionalDist(t, "io", Const(0))
		w.IO = &io
		w.Split = t.number("split", 0.5, 0, 1)
	} else if t.has("split") {
		t.get("split")
		d.errorf(t.key("split"), "split has no effect without io; set io or remove split")
	}
	w.QueueLimit = int(t.integer("queue_limit", 0, 0, math.MaxInt32))
	return w
}

// rateSchedule reads [[time, rate], ...] or [{at = time, rate = r}, ...].
func (d *decoder) rateSchedule(t *table) []RateStep {
	arr, ok := t.array("rate_schedule")
	if !ok {
		return nil
	}
	path := t.key("rate_schedule")
	if len(arr) == 0 {
		d.errorf(path, "empty schedule; expected [[time, rate], ...]")
		return nil
	}
	var steps []RateStep
	for i, v := range arr {
		ep := elemPath(path, i)
		var at, rate any
		switch x := v.(type) {
		case []any:
			if len(x) != 2 {
				d.errorf(ep, "expected a [time, rate] pair, found %d elements", len(x))
				continue
			}
			at, rate = x[0], x[1]
		case map[string]any:
			st := d.table(ep, "a rate_schedule step", x, "at", "rate")
			at, _ = st.get("at")
			rate, _ = st.get("rate")
			st.finish()
			if at == nil || rate == nil {
				d.errorf(ep, "a step needs both at and rate")
				continue
			}
		default:
			d.errorf(ep, "expected a [time, rate] pair, found %s", typeName(v))
			continue
		}
		n := len(d.errs)
		a, _ := d.durationValue(ep, at)
		r := d.numberValue(ep, rate, 0, 0, 1e9)
		if len(d.errs) > n {
			continue
		}
		if len(steps) > 0 && a <= steps[len(steps)-1].At {
			d.errorf(ep, "times must increase: %s is not after %s", FormatDuration(a), FormatDuration(steps[len(steps)-1].At))
			continue
		}
		steps = append(steps, RateStep{At: a, Rate: r})
	}
	return steps
}

// steps reads a phases script.
func (d *decoder) steps(t *table, w *Phases) []wakeCheck {
	arr, ok := t.array("steps")
	path := t.key("steps")
	if !ok {
		if !t.has("steps") {
			d.errorf(path, "missing key: a phases workload needs steps, e.g. [{run = \"1ms\"}, {sleep = \"2ms\"}]")
		}
		return nil
	}
	if len(arr) == 0 {
		d.errorf(path, "empty script; expected steps such as {run = \"1ms\"}, {sleep = \"2ms\"}, {wake = \"name\"}, {block = true}")
		return nil
	}
	var wakes []wakeCheck
	stepKeys := []string{"run", "sleep", "wake", "block"}
	for j, v := range arr {
		ep := elemPath(path, j)
		m, ok := v.(map[string]any)
		if !ok {
			d.errorf(ep, "expected a step table such as {run = \"1ms\"}, found %s", typeName(v))
			continue
		}
		st := d.table(ep, "a phases step", m, stepKeys...)
		var present []string
		for _, k := range stepKeys {
			if st.has(k) {
				present = append(present, k)
			}
		}
		if len(present) != 1 {
			for _, k := range present {
				st.get(k)
			}
			d.errorf(ep, "a step has exactly one of run, sleep, wake, block; found %d (%s)", len(present), strings.Join(present, ", "))
			st.finish()
			continue
		}
		var s Step
		switch present[0] {
		case "run", "sleep":
			s.Kind = StepRun
			if present[0] == "sleep" {
				s.Kind = StepSleep
			}
			s.D = d.requiredDist(st, present[0])
		case "wake":
			s.Kind = StepWake
			s.Target = st.str("wake", "")
			if s.Target == "" {
				d.errorf(st.key("wake"), "expected the name of a workload or a task (name-N)")
			} else {
				wakes = append(wakes, wakeCheck{path: st.key("wake"), w: w, step: len(w.Steps)})
			}
		case "block":
			s.Kind = StepBlock
			if !st.boolean("block", true) {
				d.errorf(st.key("block"), "block = false does nothing; write block = true or remove the step")
			}
		}
		st.finish()
		w.Steps = append(w.Steps, s)
	}
	return wakes
}

func (d *decoder) requiredDist(t *table, key string) Dist {
	if !t.has(key) {
		d.errorf(t.key(key), "missing key; expected %s", distHelp)
		return Dist{}
	}
	return d.optionalDist(t, key, Dist{})
}

func (d *decoder) optionalDist(t *table, key string, def Dist) Dist {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	dist, ok := d.distValue(t.key(key), v)
	if !ok {
		return def
	}
	return dist
}

const distHelp = `a distribution: a duration ("2ms", or integer ns) for a constant, or a table such as {dist = "exp", mean = "2ms"} with dist one of const, exp, uniform, lognormal, normal, pareto, gamma`

// distKeys are the keys each distribution takes besides dist.
var distKeys = map[DistKind][]string{
	DistConst:     {"value"},
	DistExp:       {"mean", "max"},
	DistUniform:   {"min", "max"},
	DistLogNormal: {"mean", "stddev", "median", "mu", "sigma", "max"},
	DistNormal:    {"mean", "stddev", "max"},
	DistPareto:    {"alpha", "min", "mean", "max"},
	DistGamma:     {"shape", "mean", "scale", "max"},
}

func (d *decoder) distValue(path string, v any) (Dist, bool) {
	switch x := v.(type) {
	case int64:
		n, ok := d.durationValue(path, x)
		return Const(n), ok
	case string:
		for _, k := range DistKinds {
			if x == string(k) {
				d.errorf(path, "distribution %q needs parameters: write it as a table, e.g. %s", x, distExample(k))
				return Dist{}, false
			}
		}
		n, err := ParseDuration(x)
		if err != nil {
			d.errorf(path, "%v; expected %s", err, distHelp)
			return Dist{}, false
		}
		return Const(n), true
	case map[string]any:
		return d.distTable(path, x)
	}
	d.errorf(path, "expected %s; found %s", distHelp, typeName(v))
	return Dist{}, false
}

func distExample(k DistKind) string {
	switch k {
	case DistConst:
		return `{dist = "const", value = "1ms"}`
	case DistExp:
		return `{dist = "exp", mean = "2ms"}`
	case DistUniform:
		return `{dist = "uniform", min = "1ms", max = "3ms"}`
	case DistLogNormal:
		return `{dist = "lognormal", mean = "2ms", stddev = "1ms"}`
	case DistNormal:
		return `{dist = "normal", mean = "2ms", stddev = "500us"}`
	case DistPareto:
		return `{dist = "pareto", min = "1ms", alpha = 2.5}`
	case DistGamma:
		return `{dist = "gamma", mean = "2ms", shape = 2}`
	}
	return ""
}

func (d *decoder) distTable(path string, m map[string]any) (Dist, bool) {
	n := len(d.errs)
	t := d.table(path, "a distribution", m, "dist")
	kinds := make([]string, len(DistKinds))
	for i, k := range DistKinds {
		kinds[i] = string(k)
	}
	if !t.has("dist") {
		d.errorf(keyPath(path, "dist"), "missing key: a distribution table needs dist, one of %s", strings.Join(kinds, ", "))
		for _, k := range sortedKeys(m) {
			t.get(k)
		}
		return Dist{}, false
	}
	kind := DistKind(t.str("dist", "", kinds...))
	if kind == "" {
		for _, k := range sortedKeys(m) {
			t.get(k)
		}
		return Dist{}, false
	}
	t.what = fmt.Sprintf("a %s distribution", kind)
	t.allow(distKeys[kind]...)
	var ds Dist
	ds.Kind = kind
	dur := func(k string) float64 { return float64(t.duration(k, 0)) }
	need := func(keys ...string) bool {
		ok := true
		for _, k := range keys {
			if !t.has(k) {
				d.errorf(t.key(k), "missing key: a %s distribution needs %s; e.g. %s", kind, strings.Join(keys, " and "), distExample(kind))
				ok = false
			}
		}
		return ok
	}
	switch kind {
	case DistConst:
		if need("value") {
			ds.Value = dur("value")
		}
	case DistExp:
		if need("mean") {
			ds.Mean = dur("mean")
		}
	case DistUniform:
		if need("min", "max") {
			ds.Min, ds.Max = dur("min"), dur("max")
			if ds.Max < ds.Min {
				d.errorf(t.key("max"), "max %s is below min %s", FormatDuration(uint64(ds.Max)), FormatDuration(uint64(ds.Min)))
			}
		}
	case DistLogNormal:
		switch {
		case t.has("mean") || t.has("stddev"):
			if need("mean", "stddev") {
				mean, sd := dur("mean"), dur("stddev")
				if mean > 0 {
					ds = LogNormalMeanStd(mean, sd)
				} else {
					d.errorf(t.key("mean"), "mean must be positive")
				}
			}
			for _, k := range []string{"median", "mu", "sigma"} {
				if t.has(k) {
					t.get(k)
					d.errorf(t.key(k), "give a lognormal either mean and stddev, or median (or mu) and sigma, not both")
				}
			}
		case t.has("median"):
			if need("sigma") {
				med := dur("median")
				if med <= 0 {
					d.errorf(t.key("median"), "median must be positive")
				}
				ds.Mu = math.Log(max(med, 1))
				ds.Sigma = t.number("sigma", 0, 0, 100)
			}
			if t.has("mu") {
				t.get("mu")
				d.errorf(t.key("mu"), "give either median or mu, not both")
			}
		default:
			if need("mu", "sigma") {
				ds.Mu = t.number("mu", 0, -100, 100)
				ds.Sigma = t.number("sigma", 0, 0, 100)
			}
		}
		ds.Kind = DistLogNormal
	case DistNormal:
		if need("mean", "stddev") {
			ds.Mean, ds.Stddev = dur("mean"), dur("stddev")
		}
	case DistPareto:
		if need("alpha") {
			ds.Alpha = t.number("alpha", 0, 0, 1e6)
			if ds.Alpha == 0 && len(d.errs) == n {
				d.errorf(t.key("alpha"), "alpha must be positive")
			}
		}
		switch {
		case t.has("min") && t.has("mean"):
			t.get("min")
			t.get("mean")
			d.errorf(t.key("mean"), "give a pareto either min or mean, not both")
		case t.has("mean"):
			mean := dur("mean")
			if ds.Alpha <= 1 && len(d.errs) == n {
				d.errorf(t.key("mean"), "a pareto with alpha <= 1 has no mean; give min instead")
			}
			if ds.Alpha > 0 {
				ds.Min = mean * (ds.Alpha - 1) / ds.Alpha
			}
		default:
			if need("min") {
				ds.Min = dur("min")
			}
		}
	case DistGamma:
		if need("shape") {
			ds.Alpha = t.number("shape", 0, 0, 1e6)
			if ds.Alpha == 0 && len(d.errs) == n {
				d.errorf(t.key("shape"), "shape must be positive")
			}
		}
		switch {
		case t.has("mean") && t.has("scale"):
			t.get("mean")
			t.get("scale")
			d.errorf(t.key("scale"), "give a gamma either mean or scale, not both")
		case t.has("scale"):
			ds.Mean = ds.Alpha * dur("scale")
		default:
			if need("mean") {
				ds.Mean = dur("mean")
			}
		}
	}
	if kind != DistUniform && t.has("max") {
		ds.Max = dur("max")
	}
	t.finish()
	if len(d.errs) > n {
		return Dist{}, false
	}
	if err := ds.Validate(); err != nil {
		d.errorf(path, "%v; e.g. %s", err, distExample(kind))
		return Dist{}, false
	}
	return ds, true
}
