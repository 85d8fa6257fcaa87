package policies

import (
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// Cgroups on the BPF side: each sim.Cgroup gets a struct cgroup (with its
// cgroup_subsys_state, kernfs_node and ancestors[]) in linear memory the
// first time a policy sees it, the cgroup_* callbacks, and the kfuncs
// (kernel/bpf/helpers.c: bpf_cgroup_acquire/release/ancestor/from_id;
// kernel/sched/ext.c: scx_bpf_task_cgroup). Cgroups live as long as the
// run, so acquire and release only count references.

var cgroupKfuncs = []kfuncDef{
	{"bpf_cgroup_acquire", nil, bpfvm.KfAcquire | bpfvm.KfRCU | bpfvm.KfRetNull | bpfvm.KfLockSafe, kfCgroupAcquire},
	{"bpf_cgroup_release", nil, bpfvm.KfRelease | bpfvm.KfLockSafe, kfNop},
	{"bpf_cgroup_ancestor", nil, bpfvm.KfAcquire | bpfvm.KfRCU | bpfvm.KfRetNull | bpfvm.KfLockSafe, kfCgroupAncestor},
	{"bpf_cgroup_from_id", nil, bpfvm.KfAcquire | bpfvm.KfRetNull | bpfvm.KfLockSafe, kfCgroupFromID},
	{"scx_bpf_task_cgroup", nil, bpfvm.KfAcquire | bpfvm.KfRCU | bpfvm.KfLockSafe, kfTaskCgroup},
	{"bpf_iter_css_new", nil, bpfvm.KfIter | bpfvm.KfTrustedArgs | bpfvm.KfRCUProtected, kfIterCSSNew},
	{"bpf_iter_css_next", nil, bpfvm.KfIter | bpfvm.KfRetNull, kfIterCSSNext},
	{"bpf_iter_css_destroy", nil, bpfvm.KfIter, kfNop},
}

// cgroupState maps cgroups to their struct cgroup.
type cgroupState struct {
	addr   map[uint64]uint64 // cgroup id -> struct cgroup
	byAddr map[uint64]*sim.Cgroup
	cssSet map[uint64]uint64 // cgroup id -> a struct css_set whose dfl_cgrp it is
}

// cssSetAddr returns a struct css_set of cg (p->cgroups of its tasks).
func (b *BPFPolicy) cssSetAddr(cg *sim.Cgroup) (uint64, error) {
	a, err := b.cgroupAddr(cg)
	if err != nil || a == 0 {
		return 0, err
	}
	if s, ok := b.cgs.cssSet[cg.ID]; ok {
		return s, nil
	}
	size, err := KernelSizeof("struct css_set")
	if err != nil {
		return 0, err
	}
	s, err := b.vm.Mem.Alloc(uint64(size), 8)
	if err != nil {
		return 0, err
	}
	if err := writeStruct(b.vm.Mem, s, "css_set", map[string]uint64{"dfl_cgrp": a}); err != nil {
		return 0, err
	}
	if b.cgs.cssSet == nil {
		b.cgs.cssSet = map[uint64]uint64{}
	}
	b.cgs.cssSet[cg.ID] = s
	return s, nil
}

// maxCgroupDepth bounds ancestors[] (the kernel has no fixed bound).
const maxCgroupDepth = 64

// cgroupAddr returns cg's struct cgroup, creating it (and its ancestors').
func (b *BPFPolicy) cgroupAddr(cg *sim.Cgroup) (uint64, error) {
	if cg == nil {
		return 0, nil
	}
	cs := &b.cgs
	if cs.addr == nil {
		cs.addr, cs.byAddr = map[uint64]uint64{}, map[uint64]*sim.Cgroup{}
	}
	if a, ok := cs.addr[cg.ID]; ok {
		return a, nil
	}
	if cg.Level >= maxCgroupDepth {
		return 0, fmt.Errorf("cgroup %s is deeper than %d levels", cg.Path, maxCgroupDepth)
	}
	var parent uint64
	if cg.Parent != nil {
		var err error
		if parent, err = b.cgroupAddr(cg.Parent); err != nil {
			return 0, err
		}
	}
	size, err := KernelSizeof("struct cgroup")
	if err != nil {
		return 0, err
	}
	mem := b.vm.Mem
	a, err := mem.Alloc(uint64(size)+8*uint64(cg.Level+1), 8)
	if err != nil {
		return 0, err
	}
	kn, err := mem.Alloc(64, 8)
	if err != nil {
		return 0, err
	}
	name := cg.Path
	if i := len(name) - 1; i > 0 {
		for i >= 0 && name[i] != '/' {
			i--
		}
		name = name[i+1:]
	}
	copy(mem.MustBytes(kn+32, 31), name)
	if err := writeStruct(mem, kn, "kernfs_node", map[string]uint64{"name": kn + 32, "id": cg.ID}); err != nil {
		return 0, err
	}
	cssOff, _ := KernelFieldOffset("cgroup", "self")
	var parentCSS uint64
	if parent != 0 {
		parentCSS = parent + uint64(cssOff)
	}
	if err := writeStruct(mem, a+uint64(cssOff), "cgroup_subsys_state", map[string]uint64{
		"cgroup": a, "parent": parentCSS, "id": cg.ID, "serial_nr": cg.ID}); err != nil {
		return 0, err
	}
	if err := writeStruct(mem, a, "cgroup", map[string]uint64{
		"level": uint64(cg.Level), "max_depth": 1<<31 - 1, "kn": kn, "dom_cgrp": a}); err != nil {
		return 0, err
	}
	cs.addr[cg.ID], cs.byAddr[a] = a, cg
	// ancestors[i] is the ancestor at level i, ancestors[level] itself
	anc, _ := KernelFieldOffset("cgroup", "ancestors")
	for l := 0; l <= cg.Level; l++ {
		x := a
		if l < cg.Level {
			if x, err = b.cgroupAddr(cg.Ancestor(l)); err != nil {
				return 0, err
			}
		}
		mem.Store64(a+uint64(anc)+8*uint64(l), x)
	}
	return a, nil
}

// cgroupAt returns the cgroup whose struct cgroup is at addr.
func (b *BPFPolicy) cgroupAt(addr uint64, what string) (*sim.Cgroup, error) {
	if cg := b.cgs.byAddr[addr]; cg != nil {
		return cg, nil
	}
	return nil, fmt.Errorf("%s: %#x is not a struct cgroup", what, addr)
}

func kfCgroupAcquire(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cg, _, _, _, _ uint64) (uint64, error) {
		if _, err := b.cgroupAt(cg, "bpf_cgroup_acquire"); err != nil {
			return 0, err
		}
		return cg, nil
	}
}

// bpf_cgroup_ancestor: the ancestor at level, NULL if level is deeper
// than the cgroup's.
func kfCgroupAncestor(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cga, level, _, _, _ uint64) (uint64, error) {
		cg, err := b.cgroupAt(cga, "bpf_cgroup_ancestor")
		if err != nil {
			return 0, err
		}
		return b.cgroupAddr(cg.Ancestor(int(int32(level))))
	}
}

func kfCgroupFromID(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, id, _, _, _, _ uint64) (uint64, error) {
		return b.cgroupAddr(b.k.CgroupByID(id))
	}
}

func kfTaskCgroup(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, p, _, _, _, _ uint64) (uint64, error) {
		t, err := b.task(c, p, "scx_bpf_task_cgroup")
		if err != nil {
			return 0, err
		}
		return b.cgroupAddr(b.k.TaskCgroup(t))
	}
}

// callCgroup runs a cgroup callback, turning a failure to place a struct
// cgroup into a runtime error.
func (b *BPFPolicy) callCgroup(cb sim.Callback, cgs []*sim.Cgroup, pre []uint64, post ...uint64) uint64 {
	args := append([]uint64(nil), pre...)
	for _, cg := range cgs {
		a, err := b.cgroupAddr(cg)
		if err != nil {
			b.k.Fault("BPF runtime error", fmt.Sprintf("%s: ops.%s: %v", b.name, cb, err))
			return 0
		}
		args = append(args, a)
	}
	return b.call(cb, append(args, post...)...)
}

// CgroupInit implements sim.CgroupScheduler (ops.cgroup_init with struct
// scx_cgroup_init_args: weight and bandwidth, quota U64_MAX for none).
func (b *BPFPolicy) CgroupInit(cg *sim.Cgroup) int32 {
	s := b.scratch[max(b.k.CPU(), 0)]
	quota := cg.QuotaUs
	if quota == 0 {
		quota = ^uint64(0)
	}
	if err := writeStruct(b.vm.Mem, s, "scx_cgroup_init_args", map[string]uint64{"weight": uint64(cg.Weight),
		"bw_period_us": cg.PeriodUs, "bw_quota_us": quota, "bw_burst_us": cg.BurstUs}); err != nil {
		b.k.Fault("BPF runtime error", err.Error())
		return 0
	}
	return int32(b.callCgroup(sim.CbCgroupInit, []*sim.Cgroup{cg}, nil, s))
}

func (b *BPFPolicy) CgroupExit(cg *sim.Cgroup) {
	b.callCgroup(sim.CbCgroupExit, []*sim.Cgroup{cg}, nil)
}
func (b *BPFPolicy) CgroupPrepMove(p *sim.Task, from, to *sim.Cgroup) int32 {
	return int32(b.callCgroup(sim.CbCgroupPrepMove, []*sim.Cgroup{from, to}, []uint64{b.taskAddr(p.K)}))
}
func (b *BPFPolicy) CgroupMove(p *sim.Task, from, to *sim.Cgroup) {
	b.callCgroup(sim.CbCgroupMove, []*sim.Cgroup{from, to}, []uint64{b.taskAddr(p.K)})
	if s, err := b.cssSetAddr(to); err == nil {
		p.K.Cgroups = s
	}
}
func (b *BPFPolicy) CgroupCancelMove(p *sim.Task, from, to *sim.Cgroup) {
	b.callCgroup(sim.CbCgroupCancelMove, []*sim.Cgroup{from, to}, []uint64{b.taskAddr(p.K)})
}
func (b *BPFPolicy) CgroupSetWeight(cg *sim.Cgroup, w uint32) {
	b.callCgroup(sim.CbCgroupSetWeight, []*sim.Cgroup{cg}, nil, uint64(w))
}
func (b *BPFPolicy) CgroupSetBandwidth(cg *sim.Cgroup, period, quota, burst uint64) {
	b.callCgroup(sim.CbCgroupSetBandwidth, []*sim.Cgroup{cg}, nil, period, quota, burst)
}
