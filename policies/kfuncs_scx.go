package policies

import (
	"fmt"
	"unsafe"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// Kfuncs upstream schedulers call beyond the basic set: kernel/sched/ext.c
// and ext_idle.c (6.13-6.18), kernel/bpf/cpumask.c, kernel/bpf/helpers.c.
// Each cites the kernel function whose semantics it follows.

// cpuperfOne is SCX_CPUPERF_ONE: the capacity of the fastest CPU at its
// highest frequency (include/linux/sched/ext.h).
const cpuperfOne = 1024

var moreKfuncs = []kfuncDef{
	// bpf_rcu_read_lock/unlock, bpf_preempt_disable/enable
	// (kernel/bpf/helpers.c): the simulator runs one callback at a time per
	// CPU and frees nothing under a reader, so they only mark sections for
	// the verifier.
	{"bpf_rcu_read_lock", nil, bpfvm.KfLockSafe, kfNop},
	{"bpf_rcu_read_unlock", nil, bpfvm.KfLockSafe, kfNop},
	{"bpf_preempt_disable", nil, bpfvm.KfLockSafe, kfNop},
	{"bpf_preempt_enable", nil, bpfvm.KfLockSafe, kfNop},
	// scx_bpf_get_online_cpumask / _possible_cpumask / scx_bpf_put_cpumask:
	// every simulated CPU is possible and online (no hotplug).
	{"scx_bpf_get_online_cpumask", nil, bpfvm.KfAcquire, kfAllCPUs},
	{"scx_bpf_get_possible_cpumask", nil, bpfvm.KfAcquire, kfAllCPUs},
	{"scx_bpf_put_cpumask", nil, bpfvm.KfRelease, kfNop},
	{"scx_bpf_cpuperf_cap", nil, bpfvm.KfLockSafe, kfCpuperfCap},
	{"scx_bpf_cpuperf_cur", nil, bpfvm.KfLockSafe, kfCpuperfCur},
	{"scx_bpf_cpuperf_set", nil, bpfvm.KfLockSafe, kfCpuperfSet},
	{"scx_bpf_nr_node_ids", nil, bpfvm.KfLockSafe, kfNrNodeIDs},
	{"scx_bpf_cpu_node", nil, bpfvm.KfLockSafe, kfCPUNode},
	{"scx_bpf_cpu_curr", nil, bpfvm.KfRetNull | bpfvm.KfLockSafe, kfCPUCurr},
	{"scx_bpf_cpu_rq", nil, bpfvm.KfRetNull | bpfvm.KfLockSafe, kfCPURq},
	{"scx_bpf_locked_rq", nil, bpfvm.KfRetNull | bpfvm.KfLockSafe, kfLockedRq},
	{"scx_bpf_dsq_peek", nil, bpfvm.KfRetNull | bpfvm.KfLockSafe, kfDSQPeek},
	{"bpf_iter_scx_dsq_new", nil, bpfvm.KfIter, kfIterDSQNew},
	{"bpf_iter_scx_dsq_next", nil, bpfvm.KfIter | bpfvm.KfRetNull, kfIterDSQNext},
	{"bpf_iter_scx_dsq_destroy", nil, bpfvm.KfIter, kfIterDSQDestroy},
	{"scx_bpf_dsq_move", []string{"scx_bpf_dispatch_from_dsq"}, bpfvm.KfRCU, kfDSQMove(false)},
	{"scx_bpf_dsq_move_vtime", []string{"scx_bpf_dispatch_vtime_from_dsq"}, bpfvm.KfRCU, kfDSQMove(true)},
	{"scx_bpf_dsq_move_set_slice", []string{"scx_bpf_dispatch_from_dsq_set_slice"}, 0, kfDSQMoveSet(false)},
	{"scx_bpf_dsq_move_set_vtime", []string{"scx_bpf_dispatch_from_dsq_set_vtime"}, 0, kfDSQMoveSet(true)},
	{"scx_bpf_reenqueue_local", nil, 0, kfReenqueueLocal},
	{"scx_bpf_task_set_slice", nil, bpfvm.KfRCU | bpfvm.KfLockSafe, kfTaskSet(false)},
	{"scx_bpf_task_set_dsq_vtime", nil, bpfvm.KfRCU | bpfvm.KfLockSafe, kfTaskSet(true)},
	{"scx_bpf_select_cpu_and", nil, bpfvm.KfRCU, kfSelectCPUAnd},
	{"scx_bpf_get_idle_cpumask_node", nil, bpfvm.KfAcquire, kfIdleMaskNode(false)},
	{"scx_bpf_get_idle_smtmask_node", nil, bpfvm.KfAcquire, kfIdleMaskNode(true)},
	{"scx_bpf_pick_idle_cpu_node", nil, bpfvm.KfRCU, kfPickNode(false)},
	{"scx_bpf_pick_any_cpu_node", nil, bpfvm.KfRCU, kfPickNode(true)},
	{"scx_bpf_dump_bstr", nil, bpfvm.KfLockSafe, kfDumpBstr},
	{"bpf_cpumask_subset", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumask2(func(a, b uint64) bool { return a&^b == 0 })},
	{"bpf_cpumask_equal", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumask2(func(a, b uint64) bool { return a == b })},
	{"bpf_cpumask_full", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskFull},
	{"bpf_cpumask_test_and_set_cpu", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskTestAnd(true)},
	{"bpf_cpumask_test_and_clear_cpu", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskTestAnd(false)},
	{"bpf_cpumask_first_zero", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskFirstZero},
	{"bpf_cpumask_first_and", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskFirstAnd},
	{"bpf_cpumask_any_and_distribute", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskAnyAndDistribute},
}

// kernelState is what the bridge keeps in linear memory for the kfuncs
// above: a mask of every CPU, an idle task and a struct rq per CPU.
type kernelState struct {
	allMask  uint64
	nodeMask []uint64 // per node: scratch for the _node idle masks
	idle     []uint64 // per CPU: the idle task (swapper/N), never NULL
	rq       []uint64 // per CPU: struct rq
	perf     []uint32 // per CPU: cpuperf target
	distPrev []int    // per CPU: cpumask_any_distribute's previous pick
	iters    map[uint64]*dsqIter
	mm       uint64 // the struct mm_struct user tasks share
}

// PF_IDLE marks an idle task (include/linux/sched.h).
const pfIdle = 0x00000002

func (b *BPFPolicy) initKernelState() error {
	mem := b.vm.Mem
	n := b.opts.NumCPUs
	ks := &b.ks
	var err error
	if ks.allMask, err = mem.Alloc(cpumaskSize, 8); err != nil {
		return err
	}
	bpfvm.Ptr[sim.CPUMask](mem, ks.allMask).SetFirst(n)
	for range b.topo.NodeMask {
		a, err := mem.Alloc(cpumaskSize, 8)
		if err != nil {
			return err
		}
		ks.nodeMask = append(ks.nodeMask, a)
	}
	for cpu := 0; cpu < n; cpu++ {
		t, err := b.AllocTask()
		if err != nil {
			return err
		}
		t.Pid, t.Tgid, t.CPU = 0, 0, uint32(cpu)
		t.Flags = pfIdle | sim.PFKthread
		t.Prio, t.StaticPrio, t.NormalPrio = 120, 120, 120
		t.CpusMask.Set(cpu)
		t.CpusPtr = uint64(uintptr(unsafe.Pointer(&t.CpusMask)))
		t.NrCpusAllowed = 1
		copy(t.Comm[:15], fmt.Sprintf("swapper/%d", cpu))
		ks.idle = append(ks.idle, b.taskAddr(t))
		t.RealParent, t.GroupLeader = b.taskAddr(t), b.taskAddr(t) // as init_task's
		ks.perf = append(ks.perf, cpuperfOne)
		ks.distPrev = append(ks.distPrev, -1)
	}
	ks.iters = map[uint64]*dsqIter{}
	if ks.mm, err = mem.Alloc(64, 8); err != nil {
		return err
	}
	return nil
}

// initTaskLinks fills the pointers of a new task_struct: its parent (the
// simulator's tasks are children of swapper/0, the parent of init), its
// thread group leader (itself: one thread per process), its mm (a user
// address space, NULL for kernel threads).
func (b *BPFPolicy) initTaskLinks(t *sim.TaskStruct) {
	t.RealParent = b.ks.idle[0]
	t.GroupLeader = b.taskAddr(t)
	if t.Flags&sim.PFKthread == 0 {
		t.Mm = b.ks.mm
	}
}

// currAddr is the task running on cpu, its idle task if none.
func (b *BPFPolicy) currAddr(cpu int) uint64 {
	if t := b.k.CurrTask(int32(cpu)); t != nil {
		return b.addrOf(t)
	}
	return b.ks.idle[cpu]
}

func kfAllCPUs(b *BPFPolicy) bpfvm.Func {
	return func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return b.ks.allMask, nil
	}
}

// validCPU is ops_cpu_valid(): an error for a CPU that does not exist.
func (b *BPFPolicy) validCPU(cpu uint64, what string) bool {
	if int64(int32(cpu)) < 0 || int(int32(cpu)) >= b.opts.NumCPUs {
		b.k.Error(fmt.Sprintf("%s: invalid CPU %d", what, int32(cpu)))
		return false
	}
	return true
}

// scx_bpf_cpuperf_cap: arch_scale_cpu_capacity(); every simulated CPU has
// the full capacity.
func kfCpuperfCap(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, _, _, _, _ uint64) (uint64, error) {
		if !b.validCPU(cpu, "scx_bpf_cpuperf_cap") {
			return cpuperfOne, nil
		}
		return cpuperfOne, nil
	}
}

// scx_bpf_cpuperf_cur: arch_scale_freq_capacity(); the simulator runs
// every CPU at the performance level last requested (no frequency model:
// the level does not change how fast tasks run).
func kfCpuperfCur(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, _, _, _, _ uint64) (uint64, error) {
		if !b.validCPU(cpu, "scx_bpf_cpuperf_cur") {
			return cpuperfOne, nil
		}
		return uint64(b.ks.perf[cpu]), nil
	}
}

// scx_bpf_cpuperf_set: a target above SCX_CPUPERF_ONE is an error.
func kfCpuperfSet(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, perf, _, _, _ uint64) (uint64, error) {
		if uint32(perf) > cpuperfOne {
			b.k.Error(fmt.Sprintf("Invalid cpuperf target %d for CPU %d", uint32(perf), int32(cpu)))
			return 0, nil
		}
		if b.validCPU(cpu, "scx_bpf_cpuperf_set") {
			b.ks.perf[cpu] = uint32(perf)
		}
		return 0, nil
	}
}

func kfNrNodeIDs(b *BPFPolicy) bpfvm.Func {
	return func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return uint64(len(b.topo.NodeMask)), nil
	}
}

func kfCPUNode(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, _, _, _, _ uint64) (uint64, error) {
		return uint64(int64(b.k.NodeOf(int32(cpu)))), nil
	}
}

// scx_bpf_cpu_curr: rq->curr, which is the idle task when nothing runs.
func kfCPUCurr(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, _, _, _, _ uint64) (uint64, error) {
		if !b.validCPU(cpu, "scx_bpf_cpu_curr") {
			return 0, nil
		}
		return b.currAddr(int(cpu)), nil
	}
}

// refreshRq writes cpu's struct rq from the simulator's state.
func (b *BPFPolicy) refreshRq(cpu int) (uint64, error) {
	rq := b.k.RunQueue(int32(cpu))
	a := b.ks.rq[cpu]
	err := writeStruct(b.vm.Mem, a, "rq", map[string]uint64{
		"nr_running": uint64(rq.NrRunning), "cpu": uint64(cpu), "curr": b.currAddr(cpu),
		"clock": rq.Clock + b.opts.BootOffset, "clock_task": rq.ClockTask + b.opts.BootOffset,
		"clock_pelt":   rq.ClockTask + b.opts.BootOffset,
		"cpu_capacity": cpuperfOne,
	})
	return a, err
}

// scx_bpf_cpu_rq (deprecated in 6.18 for scx_bpf_cpu_curr/locked_rq).
func kfCPURq(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, _, _, _, _ uint64) (uint64, error) {
		if !b.validCPU(cpu, "scx_bpf_cpu_rq") {
			return 0, nil
		}
		return b.refreshRq(int(cpu))
	}
}

// scx_bpf_locked_rq: the run queue the current callback holds locked.
func kfLockedRq(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) {
		return b.refreshRq(c.CPU)
	}
}

func kfDSQPeek(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, id, _, _, _, _ uint64) (uint64, error) {
		if t := b.k.DSQPeek(id); t != nil {
			return b.addrOf(t), nil
		}
		return 0, nil
	}
}

func kfReenqueueLocal(b *BPFPolicy) bpfvm.Func {
	return func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return uint64(b.k.ReenqueueLocal()), nil
	}
}

// scx_bpf_task_set_slice / _dsq_vtime (6.17): set p->scx.slice / dsq_vtime.
func kfTaskSet(vtime bool) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, p, v, _, _, _ uint64) (uint64, error) {
			t, err := b.task(c, p, "scx_bpf_task_set_slice/dsq_vtime")
			if err != nil {
				return 0, err
			}
			if vtime {
				t.K.Scx.DsqVtime = v
			} else {
				t.K.Scx.Slice = v
			}
			return 1, nil
		}
	}
}

// scx_bpf_select_cpu_and (6.16, ext_idle.c): scx_select_cpu_dfl() limited
// to cpus_allowed: prev_cpu if it is idle and allowed, else an idle CPU of
// p's allowed CPUs within cpus_allowed, else -EBUSY.
func kfSelectCPUAnd(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, p, prev, wf, allowed, fl uint64) (uint64, error) {
		t, err := b.task(c, p, "scx_bpf_select_cpu_and")
		if err != nil {
			return 0, err
		}
		m, err := cpumask(c, allowed, "scx_bpf_select_cpu_and")
		if err != nil {
			return 0, err
		}
		var in sim.CPUMask
		in.And(m, bpfvm.Ptr[sim.CPUMask](c.VM.Mem, t.K.CpusPtr))
		if in == *bpfvm.Ptr[sim.CPUMask](c.VM.Mem, t.K.CpusPtr) && fl == 0 {
			cpu, idle := b.k.SelectCPUDfl(t, int32(prev), wf)
			if idle {
				return uint64(int64(cpu)), nil
			}
			return negErrno(errnoEBUSY), nil
		}
		if pc := int(int32(prev)); in.Test(pc) && b.k.TestAndClearCPUIdle(int32(pc)) {
			return uint64(int64(pc)), nil
		}
		return uint64(int64(b.k.PickIdleCPU(&in, fl))), nil
	}
}

// nodeAnd writes mask & node's CPUs into node's scratch mask.
func (b *BPFPolicy) nodeAnd(c *bpfvm.Context, node uint64, mask *sim.CPUMask) (uint64, *sim.CPUMask, bool) {
	if int(int32(node)) < 0 || int(int32(node)) >= len(b.topo.NodeMask) {
		b.k.Error(fmt.Sprintf("invalid node %d", int32(node)))
		return 0, nil, false
	}
	a := b.ks.nodeMask[node]
	out := bpfvm.Ptr[sim.CPUMask](c.VM.Mem, a)
	out.And(mask, &b.topo.NodeMask[node])
	return a, out, true
}

func kfIdleMaskNode(smt bool) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, node, _, _, _, _ uint64) (uint64, error) {
			src := b.k.IdleMask()
			if smt {
				src = b.k.IdleSMTMask()
			}
			a, _, ok := b.nodeAnd(c, node, src)
			if !ok {
				return b.ks.allMask, nil
			}
			return a, nil
		}
	}
}

func kfPickNode(anyCPU bool) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, mask, node, fl, _, _ uint64) (uint64, error) {
			m, err := cpumask(c, mask, "scx_bpf_pick_idle_cpu_node")
			if err != nil {
				return 0, err
			}
			_, in, ok := b.nodeAnd(c, node, m)
			if !ok {
				return negErrno(errnoEINVAL), nil
			}
			if anyCPU {
				return uint64(int64(b.k.PickAnyCPU(in, fl))), nil
			}
			return uint64(int64(b.k.PickIdleCPU(in, fl))), nil
		}
	}
}

// scx_bpf_dump_bstr (the scx_bpf_dump() macro): appends to the debug dump
// from ops.dump, ops.dump_cpu and ops.dump_task (sim/dump.go); anywhere
// else the kernel fails the scheduler. A format the kernel cannot expand
// becomes a "[!] ... failed to format" line of the dump, as in ext.c.
func kfDumpBstr(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, f, data, size, _, _ uint64) (uint64, error) {
		if !b.k.Dumping() {
			b.k.DumpAppend("") // the kernel's error
			return 0, nil
		}
		msg, err := bstrFormat(c, f, data, size)
		if err != nil {
			msg = fmt.Sprintf("[!] (%#x, %#x, %d) failed to format (%v)\n", f, data, size, err)
		}
		b.k.DumpAppend(msg)
		return 0, nil
	}
}

func kfCpumask2(pred func(a, b uint64) bool) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, s1, s2, _, _, _ uint64) (uint64, error) {
			x, err := cpumask(c, s1, "bpf_cpumask_subset/equal")
			if err != nil {
				return 0, err
			}
			y, err := cpumask(c, s2, "bpf_cpumask_subset/equal")
			if err != nil {
				return 0, err
			}
			for i := range x.Bits {
				if !pred(x.Bits[i], y.Bits[i]) {
					return 0, nil
				}
			}
			return 1, nil
		}
	}
}

// bpf_cpumask_full: cpumask_full() checks the first nr_cpu_ids bits.
func kfCpumaskFull(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, s, _, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, s, "bpf_cpumask_full")
		if err != nil {
			return 0, err
		}
		for cpu := 0; cpu < b.opts.NumCPUs; cpu++ {
			if !m.Test(cpu) {
				return 0, nil
			}
		}
		return 1, nil
	}
}

func kfCpumaskTestAnd(set bool) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, cpu, mask, _, _, _ uint64) (uint64, error) {
			m, err := cpumask(c, mask, "bpf_cpumask_test_and_set/clear_cpu")
			if err != nil {
				return 0, err
			}
			if cpu >= uint64(b.opts.NumCPUs) { // cpu_valid()
				return 0, nil
			}
			was := m.Test(int(cpu))
			if set {
				m.Set(int(cpu))
			} else {
				m.Clear(int(cpu))
			}
			return boolU(was), nil
		}
	}
}

func kfCpumaskFirstZero(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, s, _, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, s, "bpf_cpumask_first_zero")
		if err != nil {
			return 0, err
		}
		for cpu := 0; cpu < sim.NrCPUs; cpu++ {
			if !m.Test(cpu) {
				return uint64(cpu), nil
			}
		}
		return sim.NrCPUs, nil
	}
}

func kfCpumaskFirstAnd(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, s1, s2, _, _, _ uint64) (uint64, error) {
		x, err := cpumask(c, s1, "bpf_cpumask_first_and")
		if err != nil {
			return 0, err
		}
		y, err := cpumask(c, s2, "bpf_cpumask_first_and")
		if err != nil {
			return 0, err
		}
		var in sim.CPUMask
		in.And(x, y)
		if n := in.Next(0); n >= 0 {
			return uint64(n), nil
		}
		return uint64(b.opts.NumCPUs), nil
	}
}

// distribute is cpumask_any_and_distribute() (lib/cpumask.c): the first CPU
// of m after the one this CPU returned last, wrapping; nr_cpu_ids if m is
// empty.
func (b *BPFPolicy) distribute(c *bpfvm.Context, m *sim.CPUMask) uint64 {
	cpu := c.CPU
	if cpu < 0 || cpu >= len(b.ks.distPrev) {
		cpu = 0
	}
	prev := b.ks.distPrev[cpu]
	next := m.Next(prev + 1)
	if next < 0 || next >= b.opts.NumCPUs {
		next = m.Next(0)
	}
	if next < 0 || next >= b.opts.NumCPUs {
		return uint64(b.opts.NumCPUs)
	}
	b.ks.distPrev[cpu] = next
	return uint64(next)
}

func kfCpumaskAnyDistribute(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, s, _, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, s, "bpf_cpumask_any_distribute")
		if err != nil {
			return 0, err
		}
		return b.distribute(c, m), nil
	}
}

func kfCpumaskAnyAndDistribute(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, s1, s2, _, _, _ uint64) (uint64, error) {
		x, err := cpumask(c, s1, "bpf_cpumask_any_and_distribute")
		if err != nil {
			return 0, err
		}
		y, err := cpumask(c, s2, "bpf_cpumask_any_and_distribute")
		if err != nil {
			return 0, err
		}
		var in sim.CPUMask
		in.And(x, y)
		return b.distribute(c, &in), nil
	}
}

// negErrno is -errno as a kfunc's 64-bit return value.
func negErrno(e int64) uint64 { return uint64(-e) }
