package policies

import (
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// The callbacks of higher scheduling classes (ops.cpu_acquire,
// ops.cpu_release) and of the debug dump (ops.dump, ops.dump_cpu,
// ops.dump_task), with the kernel's argument structs (kernel/sched/ext.c,
// Linux 6.12).

// nestedContext returns cpu's second execution context and argument
// array, for a callback the kernel runs from inside a kfunc of the
// callback in progress on that CPU: scx_bpf_reenqueue_local() in
// ops.cpu_release calls ops.enqueue. Such a callback runs to completion
// (it never suspends, even with interleaving).
func (b *BPFPolicy) nestedContext(cpu int) (*bpfvm.Context, uint64, error) {
	if b.nestedCtxs == nil {
		b.nestedCtxs = make([]*bpfvm.Context, len(b.ctxs))
		b.nestedArgs = make([]uint64, len(b.ctxs))
	}
	if c := b.nestedCtxs[cpu]; c != nil {
		return c, b.nestedArgs[cpu], nil
	}
	c, err := b.vm.NewContext(cpu)
	if err != nil {
		return nil, 0, err
	}
	if c.Engine, _, err = NewEngine(b.opts.Engine); err != nil {
		return nil, 0, err
	}
	setBudget(c, b.opts)
	a, err := b.vm.Mem.Alloc(8*8, 8)
	if err != nil {
		return nil, 0, err
	}
	b.nestedCtxs[cpu], b.nestedArgs[cpu] = c, a
	return c, a, nil
}

// CPUAcquire implements sim.CPUClassCallbacks: ops.cpu_acquire(cpu, NULL),
// as balance_one() calls it in 6.12's ext.c (args is NULL).
func (b *BPFPolicy) CPUAcquire(cpu int32) { b.call(sim.CbCPUAcquire, sx(cpu), 0) }

// CPURelease implements sim.CPUClassCallbacks: ops.cpu_release(cpu, args)
// with a struct scx_cpu_release_args {reason, task}.
func (b *BPFPolicy) CPURelease(cpu int32, args sim.CPUReleaseArgs) {
	s := b.scratch[max(b.k.CPU(), 0)]
	var task uint64
	if args.Task != nil {
		task = b.taskAddr(args.Task.K)
	}
	clear(b.vm.Mem.MustBytes(s, 16))
	if err := writeStruct(b.vm.Mem, s, "scx_cpu_release_args", map[string]uint64{"reason": uint64(args.Reason), "task": task}); err != nil {
		b.k.Fault("BPF runtime error", err.Error())
		return
	}
	b.call(sim.CbCPURelease, sx(cpu), s)
}

// dumpCtx writes a struct scx_dump_ctx (and its reason string) into the
// current CPU's scratch memory.
func (b *BPFPolicy) dumpCtx(ctx *sim.DumpCtx) (uint64, error) {
	s := b.scratch[max(b.k.CPU(), 0)]
	mem := b.vm.Mem
	clear(mem.MustBytes(s, 256))
	reason := s + 64
	copy(mem.MustBytes(reason, 127), ctx.Reason)
	err := writeStruct(mem, s, "scx_dump_ctx", map[string]uint64{"kind": uint64(ctx.Kind),
		"exit_code": uint64(ctx.ExitCode), "reason": reason, "at_ns": b.opts.BootOffset + ctx.AtNs,
		"at_jiffies": ctx.AtJiffies})
	return s, err
}

// Dump implements sim.Dumper: ops.dump(ctx).
func (b *BPFPolicy) Dump(ctx *sim.DumpCtx) {
	if s, err := b.dumpCtx(ctx); err != nil {
		b.logf(nil, "ops.dump: %v", err)
	} else {
		b.call(sim.CbDump, s)
	}
}

// DumpCPU implements sim.Dumper: ops.dump_cpu(ctx, cpu, idle).
func (b *BPFPolicy) DumpCPU(ctx *sim.DumpCtx, cpu int32, idle bool) {
	if s, err := b.dumpCtx(ctx); err != nil {
		b.logf(nil, "ops.dump_cpu: %v", err)
	} else {
		b.call(sim.CbDumpCPU, s, sx(cpu), boolU(idle))
	}
}

// DumpTask implements sim.Dumper: ops.dump_task(ctx, p).
func (b *BPFPolicy) DumpTask(ctx *sim.DumpCtx, p *sim.Task) {
	if s, err := b.dumpCtx(ctx); err != nil {
		b.logf(nil, "ops.dump_task: %v", err)
	} else {
		b.call(sim.CbDumpTask, s, b.taskAddr(p.K))
	}
}

// exitDump places the debug dump for ops.exit's ei->dump (a
// NUL-terminated string in the policy's memory, allocated once at its
// largest size); 0 when there is none.
func (b *BPFPolicy) exitDump(dump string) (uint64, error) {
	if dump == "" {
		return 0, nil
	}
	n := uint64(b.ops.ExitDumpLen)
	if n == 0 {
		n = sim.ExitDumpDflLen
	}
	if b.dumpAddr == 0 {
		a, err := b.vm.Mem.Alloc(n+1, 8)
		if err != nil {
			return 0, fmt.Errorf("the exit dump: %w", err)
		}
		b.dumpAddr = a
	}
	buf := b.vm.Mem.MustBytes(b.dumpAddr, n+1)
	clear(buf)
	copy(buf[:n], dump)
	return b.dumpAddr, nil
}
