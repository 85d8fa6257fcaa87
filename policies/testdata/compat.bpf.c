//go:build ignore

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat: a policy written the way upstream sched_ext schedulers are, built
 * against kernel/vmlinux.h (the kernel's layout, not schedsim's), to show
 * that such an object loads and runs unchanged. It uses:
 *   - CO-RE field relocations (p->pid, p->scx.weight, p->nr_cpus_allowed,
 *     p->scx.slice written through preserve_access_index),
 *   - __SCX_* enums read from .rodata, filled in by the loader,
 *   - weak compat kfuncs chosen with bpf_ksym_exists(),
 *   - a per-CPU stats map,
 *   - bpf_for loops,
 *   - a bpf_timer,
 *   - a queue map (the FIFO of runnable pids),
 *   - task storage,
 *   - a .data.* array resized by the loader to the number of CPUs.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* scx's enums.autogen.h style: the loader fills these from kernel BTF. */
const volatile u64 __SCX_DSQ_LOCAL __weak;
const volatile u64 __SCX_SLICE_DFL __weak;
const volatile u64 __SCX_KICK_IDLE __weak;
#define SCX_DSQ_LOCAL __SCX_DSQ_LOCAL
#define SCX_SLICE_DFL __SCX_SLICE_DFL
#define SCX_KICK_IDLE __SCX_KICK_IDLE

/* compat.bpf.h style: prefer the 6.13 name, fall back to the old one. */
extern void scx_bpf_dsq_insert___new(struct task_struct *p, u64 dsq_id, u64 slice,
				     u64 enq_flags) __ksym __weak;
extern void scx_bpf_dispatch___old(struct task_struct *p, u64 dsq_id, u64 slice,
				   u64 enq_flags) __ksym __weak;
/* A kfunc no kernel (and no schedsim) has: must resolve to absent. */
extern void scx_bpf_from_the_future___x(u64 x) __ksym __weak;

#define insert_compat(p, dsq, slice, fl)					\
	(bpf_ksym_exists(scx_bpf_dsq_insert___new) ?				\
		 scx_bpf_dsq_insert___new((p), (dsq), (slice), (fl)) :		\
		 scx_bpf_dispatch___old((p), (dsq), (slice), (fl)))

const volatile u32 nr_cpus = 1;	/* set by the loader ([policy.params]) */

/* Results read by the test. */
u64 have_new_insert, have_future, timer_fires, nr_cpus_seen, queue_full;
u64 weight_sum, pid_sum;

/* One entry per CPU once resized (RESIZE_ARRAY convention). */
u64 cpu_dispatches[1] SEC(".data.cpu_dispatches");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4096);
	__type(value, s32);
} runq SEC(".maps");

struct task_ctx {
	u64 runs;
	u64 enqueues;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

struct timer_wrap {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct timer_wrap);
} timers SEC(".maps");

static void stat_inc(u32 idx)
{
	u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

	if (cnt)
		(*cnt)++;
}

static int kicker(void *map, int *key, struct bpf_timer *timer)
{
	u32 i;

	timer_fires++;
	bpf_for(i, 0, nr_cpus)
		scx_bpf_kick_cpu(i, SCX_KICK_IDLE);
	bpf_timer_start(timer, 1000000, 0);
	return 0;
}

void BPF_STRUCT_OPS(compat_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx;
	s32 pid = p->pid;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (tctx)
		tctx->enqueues++;
	weight_sum += p->scx.weight;
	pid_sum += pid;
	if (bpf_map_push_elem(&runq, &pid, 0)) {
		queue_full++;
		insert_compat(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, enq_flags);
		return;
	}
	stat_inc(0);
}

void BPF_STRUCT_OPS(compat_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;
	s32 pid;

	if (bpf_map_pop_elem(&runq, &pid))
		return;
	p = bpf_task_from_pid(pid);
	if (!p) {
		scx_bpf_error("pid %d vanished", pid);
		return;
	}
	/* A short slice for tasks allowed everywhere, via a CO-RE write. */
	if (p->nr_cpus_allowed > 1)
		p->scx.slice = SCX_SLICE_DFL / 4;
	insert_compat(p, SCX_DSQ_LOCAL, 0, 0);
	bpf_task_release(p);
	stat_inc(1);
	if (cpu >= 0 && cpu < nr_cpus)
		cpu_dispatches[cpu]++;
}

void BPF_STRUCT_OPS(compat_running, struct task_struct *p)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, 0);

	if (tctx)
		tctx->runs++;
	stat_inc(2);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(compat_init)
{
	struct timer_wrap *tw;
	u32 key = 0, i;

	have_new_insert = bpf_ksym_exists(scx_bpf_dsq_insert___new);
	have_future = bpf_ksym_exists(scx_bpf_from_the_future___x);
	bpf_for(i, 0, nr_cpus)
		nr_cpus_seen++;

	tw = bpf_map_lookup_elem(&timers, &key);
	if (!tw)
		return -2;
	bpf_timer_init(&tw->timer, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&tw->timer, kicker);
	return bpf_timer_start(&tw->timer, 1000000, 0);
}

SCX_OPS_DEFINE(compat_ops,
	       .enqueue = (void *)compat_enqueue,
	       .dispatch = (void *)compat_dispatch,
	       .running = (void *)compat_running,
	       .init = (void *)compat_init,
	       .name = "compat");
