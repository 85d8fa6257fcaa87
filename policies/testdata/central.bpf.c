//go:build ignore

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * central: one CPU makes every scheduling decision, the way upstream's
 * scx_central is organised (our own code). Every runnable task waits in
 * one queue map; a CPU with nothing to run raises its hand (want[cpu]) and
 * kicks the central CPU, whose ops.dispatch hands a task to each waiting
 * CPU with SCX_DSQ_LOCAL_ON | cpu and kicks it. Tasks that may not run on
 * a CPU go back to the queue. A timer on the central CPU re-kicks it every
 * millisecond while hands are up, as scx_central's timer does. It uses:
 *   - insertion into a remote CPU's local DSQ from ops.dispatch,
 *   - kicks (idle and preempting) from ops.dispatch and a timer,
 *   - bpf_cpumask_test_cpu() on p->cpus_ptr,
 *   - a queue map, an array map of per-CPU flags, atomics, bpf_for.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile u32 nr_cpus = 1;		/* set by the loader ([policy.params]) */
const volatile s32 central_cpu = 0;
const volatile u64 slice_ns = 2000000;

/* Results read by the test. */
u64 nr_enqueued, nr_local_on, nr_self, nr_requeued, nr_timer, nr_hands;

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8192);
	__type(value, s32);
} central_q SEC(".maps");

/* want[cpu]: the CPU has nothing to run and waits for the central CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 512);
	__type(key, u32);
	__type(value, u32);
} want SEC(".maps");

struct timer_wrap {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct timer_wrap);
} central_timer SEC(".maps");

s32 BPF_STRUCT_OPS(central_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	/* No direct dispatch: every decision is the central CPU's. */
	return prev_cpu;
}

void BPF_STRUCT_OPS(central_enqueue, struct task_struct *p, u64 enq_flags)
{
	s32 pid = p->pid;

	__sync_fetch_and_add(&nr_enqueued, 1);
	if (bpf_map_push_elem(&central_q, &pid, 0)) {
		scx_bpf_error("central queue full at pid %d", pid);
		return;
	}
	scx_bpf_kick_cpu(central_cpu, SCX_KICK_IDLE);
}

/* Pop tasks until one may run on cpu: insert it into cpu's local DSQ
 * (SCX_DSQ_LOCAL for the central CPU itself). Tasks that may not run there
 * go back to the queue (at most n of them). Returns 1 if it inserted. */
static int give(s32 cpu, u32 n)
{
	struct task_struct *p;
	int given = 0;
	u32 i;
	s32 pid;

	bpf_for(i, 0, n) {
		if (bpf_map_pop_elem(&central_q, &pid))
			break;
		p = bpf_task_from_pid(pid);
		if (!p)
			continue;	/* exited meanwhile */
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) {
			bpf_task_release(p);
			if (bpf_map_push_elem(&central_q, &pid, 0))
				scx_bpf_error("central queue full at pid %d", pid);
			__sync_fetch_and_add(&nr_requeued, 1);
			continue;
		}
		if (cpu == central_cpu) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice_ns, 0);
			__sync_fetch_and_add(&nr_self, 1);
		} else {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, slice_ns, 0);
			__sync_fetch_and_add(&nr_local_on, 1);
		}
		bpf_task_release(p);
		given = 1;
		break;
	}
	return given;
}

void BPF_STRUCT_OPS(central_dispatch, s32 cpu, struct task_struct *prev)
{
	u32 *w, i, n;

	if (cpu != central_cpu) {
		w = bpf_map_lookup_elem(&want, (u32 *)&cpu);
		if (w && !*w) {
			*w = 1;
			__sync_fetch_and_add(&nr_hands, 1);
		}
		scx_bpf_kick_cpu(central_cpu, SCX_KICK_PREEMPT);
		return;
	}
	n = nr_cpus * 4;
	bpf_for(i, 0, nr_cpus) {
		if (i == central_cpu)
			continue;
		w = bpf_map_lookup_elem(&want, &i);
		if (!w || !*w)
			continue;
		if (!give(i, n))
			continue;
		*w = 0;
		scx_bpf_kick_cpu(i, SCX_KICK_IDLE);
	}
	give(central_cpu, n);
}

static int central_tick(void *map, int *key, struct bpf_timer *timer)
{
	u32 i, *w;

	__sync_fetch_and_add(&nr_timer, 1);
	bpf_for(i, 0, nr_cpus) {
		w = bpf_map_lookup_elem(&want, &i);
		if (w && *w) {
			scx_bpf_kick_cpu(central_cpu, SCX_KICK_PREEMPT);
			break;
		}
	}
	bpf_timer_start(timer, 1000000, 0);
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(central_init)
{
	struct timer_wrap *tw;
	u32 key = 0, i, *w;

	/* Every other CPU starts idle, waiting for a task. */
	bpf_for(i, 0, nr_cpus) {
		w = bpf_map_lookup_elem(&want, &i);
		if (w && i != central_cpu)
			*w = 1;
	}
	tw = bpf_map_lookup_elem(&central_timer, &key);
	if (!tw)
		return -2;
	bpf_timer_init(&tw->timer, &central_timer, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&tw->timer, central_tick);
	return bpf_timer_start(&tw->timer, 1000000, 0);
}

SCX_OPS_DEFINE(central_ops,
	       .select_cpu = (void *)central_select_cpu,
	       .enqueue = (void *)central_enqueue,
	       .dispatch = (void *)central_dispatch,
	       .init = (void *)central_init,
	       .name = "central");
