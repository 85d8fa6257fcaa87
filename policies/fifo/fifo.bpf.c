//go:build ignore

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fifo: schedsim's default policy. One shared FIFO dispatch queue.
 *
 * - select_cpu: the kernel's default idle-CPU selection; if it found an idle
 *   CPU, the task goes straight to that CPU's local DSQ (direct dispatch), so
 *   ops.enqueue is skipped.
 * - enqueue: everything else goes to the tail of the shared DSQ.
 * - dispatch: a CPU with nothing to run takes the head of the shared DSQ.
 *
 * This is the shape of the FIFO mode of the kernel's tools/sched_ext
 * scx_simple. Its Go twin, sim.FIFO, makes exactly the same decisions; the
 * tests compare the two by schedule hash.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0

/* Time slice given to every task, in ns ([policy.params] slice_ns). */
const volatile u64 slice_ns = SCX_SLICE_DFL;

/* stats[0]: tasks dispatched straight to an idle CPU; stats[1]: enqueued. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u64));
	__uint(max_entries, 2);
} stats SEC(".maps");

static void stat_inc(u32 idx)
{
	u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

	if (cnt)
		(*cnt)++;
}

s32 BPF_STRUCT_OPS(fifo_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false;
	s32 cpu;

	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle) {
		stat_inc(0);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
	}
	return cpu;
}

void BPF_STRUCT_OPS(fifo_enqueue, struct task_struct *p, u64 enq_flags)
{
	stat_inc(1);
	scx_bpf_dsq_insert(p, SHARED_DSQ, slice_ns, enq_flags);
}

void BPF_STRUCT_OPS(fifo_dispatch, s32 cpu, struct task_struct *prev)
{
	scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(fifo_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SCX_OPS_DEFINE(fifo_ops,
	       .select_cpu = (void *)fifo_select_cpu,
	       .enqueue = (void *)fifo_enqueue,
	       .dispatch = (void *)fifo_dispatch,
	       .init = (void *)fifo_init,
	       .name = "fifo");
