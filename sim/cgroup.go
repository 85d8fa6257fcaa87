package sim

import (
	"fmt"
	"sort"
	"strings"
)

// The cgroup hierarchy (cgroup v2, the cpu controller) of the simulated
// machine. sched_ext leaves enforcing cpu.weight and cpu.max to the BPF
// scheduler (kernel/sched/ext.c hands them over through the cgroup_*
// callbacks; scx_flatcg enforces weights, scx's cgroup_bw library
// bandwidth), so the simulator only keeps the tree, places tasks in it
// and tells the scheduler, at the moments the kernel does:
//
//   - ops.cgroup_init for every cgroup, root first (pre-order), after
//     ops.init and before the first task (scx_cgroup_init() in
//     scx_ops_enable()), with the cgroup's weight and bandwidth;
//   - each task's cgroup in its scx_init_task_args and through
//     scx_bpf_task_cgroup();
//   - ops.cgroup_prep_move / cgroup_move when Machine.MoveTask moves a task
//     (cgroup_can_attach/attach), cgroup_cancel_move when prep fails;
//   - ops.cgroup_set_weight / cgroup_set_bandwidth on Machine.SetCgroup*.

// CgroupSpec declares a cgroup of a scenario ([[cgroup]] in a config).
type CgroupSpec struct {
	// Path is "/a/b"; missing ancestors are created with the defaults.
	Path string
	// Weight is cpu.weight, 1..10000 (0: the default 100).
	Weight uint32
	// QuotaUs and PeriodUs are cpu.max ("max 100000" when QuotaUs is 0);
	// BurstUs is cpu.max.burst.
	QuotaUs, PeriodUs, BurstUs uint64
}

// Cgroup is one cgroup of the machine.
type Cgroup struct {
	// ID is the cgroup's id (cgroup_id(), kernfs node id): 1 for the root.
	ID       uint64
	Path     string
	Level    int // 0 for the root
	Parent   *Cgroup
	Children []*Cgroup
	// Weight is cpu.weight; QuotaUs/PeriodUs/BurstUs cpu.max (QuotaUs 0:
	// no limit).
	Weight                     uint32
	QuotaUs, PeriodUs, BurstUs uint64
}

// Ancestor returns the cgroup's ancestor at level (itself at its own
// level), or nil.
func (c *Cgroup) Ancestor(level int) *Cgroup {
	if level < 0 || level > c.Level {
		return nil
	}
	a := c
	for a.Level > level {
		a = a.Parent
	}
	return a
}

// CgroupScheduler is implemented by schedulers that take the cgroup
// callbacks (struct sched_ext_ops cgroup_*). Return values are errnos (0 on
// success), as the callbacks'.
type CgroupScheduler interface {
	CgroupInit(cg *Cgroup) int32
	CgroupExit(cg *Cgroup)
	CgroupPrepMove(p *Task, from, to *Cgroup) int32
	CgroupMove(p *Task, from, to *Cgroup)
	CgroupCancelMove(p *Task, from, to *Cgroup)
	CgroupSetWeight(cg *Cgroup, weight uint32)
	CgroupSetBandwidth(cg *Cgroup, periodUs, quotaUs, burstUs uint64)
}

// DefaultCgroupWeight is cpu.weight's default (CGROUP_WEIGHT_DFL).
const DefaultCgroupWeight = 100

// cgroups is the machine's hierarchy.
type cgroups struct {
	root   *Cgroup
	all    []*Cgroup // pre-order
	byPath map[string]*Cgroup
	// of each task, by pid-1; of each workload group
	task  []*Cgroup
	group map[int]*Cgroup
}

func (cs *cgroups) init() {
	cs.root = &Cgroup{ID: 1, Path: "/", Weight: DefaultCgroupWeight, PeriodUs: 100000}
	cs.all = []*Cgroup{cs.root}
	cs.byPath = map[string]*Cgroup{"/": cs.root}
	cs.group = map[int]*Cgroup{}
}

// cleanCgroupPath checks and normalises "/a/b".
func cleanCgroupPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("cgroup path %q does not start with /", p)
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		return "/", nil
	}
	for _, s := range parts {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("cgroup path %q has an empty, . or .. component", p)
		}
	}
	return "/" + strings.Join(parts, "/"), nil
}

// add creates the cgroup of spec (and missing ancestors).
func (cs *cgroups) add(spec CgroupSpec) (*Cgroup, error) {
	path, err := cleanCgroupPath(spec.Path)
	if err != nil {
		return nil, err
	}
	if spec.Weight != 0 && (spec.Weight < 1 || spec.Weight > 10000) {
		return nil, fmt.Errorf("cgroup %s: cpu.weight %d is outside 1..10000", path, spec.Weight)
	}
	cg := cs.byPath[path]
	if cg == nil {
		parent := cs.root
		if i := strings.LastIndexByte(path, '/'); i > 0 {
			if parent, err = cs.add(CgroupSpec{Path: path[:i]}); err != nil {
				return nil, err
			}
		}
		cg = &Cgroup{ID: uint64(len(cs.all) + 1), Path: path, Level: parent.Level + 1, Parent: parent,
			Weight: DefaultCgroupWeight, PeriodUs: 100000}
		parent.Children = append(parent.Children, cg)
		cs.byPath[path] = cg
		cs.all = cs.preorder()
	}
	if spec.Weight != 0 {
		cg.Weight = spec.Weight
	}
	if spec.PeriodUs != 0 {
		cg.PeriodUs = spec.PeriodUs
	}
	if spec.QuotaUs != 0 {
		cg.QuotaUs, cg.BurstUs = spec.QuotaUs, spec.BurstUs
	}
	return cg, nil
}

func (cs *cgroups) preorder() []*Cgroup {
	var out []*Cgroup
	var walk func(c *Cgroup)
	walk = func(c *Cgroup) {
		out = append(out, c)
		kids := append([]*Cgroup(nil), c.Children...)
		sort.Slice(kids, func(i, j int) bool { return kids[i].ID < kids[j].ID })
		for _, k := range kids {
			walk(k)
		}
	}
	walk(cs.root)
	return out
}

// Cgroups returns the machine's cgroups, root first, parents before
// children.
func (m *Machine) Cgroups() []*Cgroup { return m.cg.all }

// Cgroup returns the cgroup at path, or nil.
func (m *Machine) Cgroup(path string) *Cgroup {
	p, err := cleanCgroupPath(path)
	if err != nil {
		return nil
	}
	return m.cg.byPath[p]
}

// createCgroups creates the scenario's cgroups. They exist before the
// scheduler is attached, as a machine's do: ops.init may look them up
// (bpf_cgroup_from_id) and walk them (the css iterator).
func (m *Machine) createCgroups(specs []CgroupSpec) error {
	m.cg.init()
	for _, s := range specs {
		if _, err := m.cg.add(s); err != nil {
			return err
		}
	}
	return nil
}

// setupCgroups calls ops.cgroup_init for each cgroup, root first
// (scx_cgroup_init(), after ops.init).
func (m *Machine) setupCgroups() error {
	cs, ok := m.sched.(CgroupScheduler)
	if !ok || !m.has(CbCgroupInit) {
		return nil
	}
	for _, c := range m.cg.all {
		c := c
		if ret := m.call(0, CbCgroupInit, nil, func() int32 { return cs.CgroupInit(c) }); ret != 0 && m.exitInfo == nil {
			return fmt.Errorf("ops.cgroup_init() failed (%d) for cgroup %s", ret, c.Path)
		}
	}
	return nil
}

// SetGroupCgroup places the tasks workload group creates from now on in the
// cgroup at path.
func (m *Machine) SetGroupCgroup(group int, path string) error {
	cg := m.Cgroup(path)
	if cg == nil {
		return fmt.Errorf("cgroup %s does not exist (declare it with [[cgroup]])", path)
	}
	m.cg.group[group] = cg
	return nil
}

// cgroupOf is the cgroup a new task of group starts in.
func (m *Machine) cgroupOf(group int) *Cgroup {
	if cg := m.cg.group[group]; cg != nil {
		return cg
	}
	return m.cg.root
}

func (m *Machine) setTaskCgroup(t *Task, cg *Cgroup) {
	i := int(t.PID) - 1
	for len(m.cg.task) <= i {
		m.cg.task = append(m.cg.task, nil)
	}
	m.cg.task[i] = cg
}

// TaskCgroup is the cgroup of task p (scx_bpf_task_cgroup()).
func (k *Kernel) TaskCgroup(p *Task) *Cgroup {
	i := int(p.PID) - 1
	if i >= 0 && i < len(k.m.cg.task) && k.m.cg.task[i] != nil {
		return k.m.cg.task[i]
	}
	return k.m.cg.root
}

// CgroupByID is the cgroup with id (bpf_cgroup_from_id()), or nil.
func (k *Kernel) CgroupByID(id uint64) *Cgroup {
	if id == 0 || id > uint64(len(k.m.cg.all)) {
		return nil
	}
	for _, c := range k.m.cg.all {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// MoveTask moves p to the cgroup at path, as writing its pid into
// cgroup.procs does: ops.cgroup_prep_move, then ops.cgroup_move, or
// ops.cgroup_cancel_move if the scheduler refused.
func (m *Machine) MoveTask(p *Task, path string) error {
	to := m.Cgroup(path)
	if to == nil {
		return fmt.Errorf("cgroup %s does not exist", path)
	}
	from := m.k.TaskCgroup(p)
	if from == to {
		return nil
	}
	if cs, ok := m.sched.(CgroupScheduler); ok && m.exitInfo == nil {
		cpu := max(m.cur.cpu, 0)
		if m.has(CbCgroupPrepMove) {
			if ret := m.call(cpu, CbCgroupPrepMove, p, func() int32 { return cs.CgroupPrepMove(p, from, to) }); ret != 0 {
				if m.has(CbCgroupCancelMove) {
					m.call(cpu, CbCgroupCancelMove, p, func() int32 { cs.CgroupCancelMove(p, from, to); return 0 })
				}
				return fmt.Errorf("ops.cgroup_prep_move() refused (%d) to move %s[%d] to %s", ret, p.Comm, p.PID, to.Path)
			}
		}
		if m.has(CbCgroupMove) {
			m.call(cpu, CbCgroupMove, p, func() int32 { cs.CgroupMove(p, from, to); return 0 })
		}
	}
	m.setTaskCgroup(p, to)
	return nil
}

// SetCgroupWeight changes cpu.weight (ops.cgroup_set_weight).
func (m *Machine) SetCgroupWeight(path string, w uint32) error {
	cg := m.Cgroup(path)
	if cg == nil {
		return fmt.Errorf("cgroup %s does not exist", path)
	}
	if w < 1 || w > 10000 {
		return fmt.Errorf("cgroup %s: cpu.weight %d is outside 1..10000", path, w)
	}
	cg.Weight = w
	if cs, ok := m.sched.(CgroupScheduler); ok && m.exitInfo == nil && m.has(CbCgroupSetWeight) {
		m.call(max(m.cur.cpu, 0), CbCgroupSetWeight, nil, func() int32 { cs.CgroupSetWeight(cg, w); return 0 })
	}
	return nil
}

// SetCgroupBandwidth changes cpu.max and cpu.max.burst (quotaUs 0: "max",
// no limit), as writing them does: tg_set_bandwidth() ->
// scx_group_set_bandwidth() calls ops.cgroup_set_bandwidth(cgrp,
// period_us, quota_us, burst_us) when a value changed, with quota_us
// U64_MAX (RUNTIME_INF) for no limit (a callback of kernels newer than
// 6.15; a cgroup's initial bandwidth reaches the policy in
// ops.cgroup_init's args instead).
func (m *Machine) SetCgroupBandwidth(path string, quotaUs, periodUs, burstUs uint64) error {
	cg := m.Cgroup(path)
	switch {
	case cg == nil:
		return fmt.Errorf("cgroup %s does not exist", path)
	case periodUs < 1000 || periodUs > 1_000_000:
		return fmt.Errorf("cgroup %s: cpu.max period %d us is outside 1000..1000000", path, periodUs)
	case quotaUs != 0 && quotaUs < 1000:
		return fmt.Errorf("cgroup %s: cpu.max quota %d us is below 1000", path, quotaUs)
	case burstUs > 0 && (quotaUs == 0 || burstUs > quotaUs):
		return fmt.Errorf("cgroup %s: cpu.max.burst %d us needs a quota at least as large", path, burstUs)
	}
	if cg.QuotaUs == quotaUs && cg.PeriodUs == periodUs && cg.BurstUs == burstUs {
		return nil
	}
	cg.QuotaUs, cg.PeriodUs, cg.BurstUs = quotaUs, periodUs, burstUs
	if cs, ok := m.sched.(CgroupScheduler); ok && m.has(CbCgroupSetBandwidth) {
		quota := quotaUs
		if quota == 0 {
			quota = ^uint64(0)
		}
		m.call(max(m.cur.cpu, 0), CbCgroupSetBandwidth, nil, func() int32 {
			cs.CgroupSetBandwidth(cg, periodUs, quota, burstUs)
			return 0
		})
	}
	return nil
}
