//go:build ignore

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ticklocks: lock patterns taken in ops.tick, for the runtime deadlock
 * detector's tests. Ticks fire at the same instant on every busy CPU, so
 * with interleaving the callbacks of several CPUs run in lockstep.
 *
 *   mode 0 (ABBA):  even CPUs take a then b, odd CPUs b then a
 *   mode 1 (cycle): CPU n takes lock n%3 then lock (n+1)%3
 *   mode 2 (AA):    every CPU takes a twice (the verifier rejects this)
 *   mode 3 (ordered): every CPU takes a then b (correct)
 * With resilient = 1 the resilient locks are used and -EDEADLK handled.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile u32 mode;
const volatile u32 resilient;

struct lk {
	struct bpf_spin_lock l;
	struct bpf_res_spin_lock r;
	u64 count;
};

private(A) struct lk a;
private(B) struct lk b;
private(C) struct lk c;

u64 edeadlk, etimedout, taken;

static __always_inline int take2(struct lk *x, struct lk *y)
{
	int ret;

	if (!resilient) {
		bpf_spin_lock(&x->l);
		bpf_spin_lock(&y->l);
		x->count++;
		y->count++;
		bpf_spin_unlock(&y->l);
		bpf_spin_unlock(&x->l);
		__sync_fetch_and_add(&taken, 1);
		return 0;
	}
	ret = bpf_res_spin_lock(&x->r);
	if (ret) {
		if (ret == -35)
			__sync_fetch_and_add(&edeadlk, 1);
		else
			__sync_fetch_and_add(&etimedout, 1);
		return ret;
	}
	ret = bpf_res_spin_lock(&y->r);
	if (ret) {
		if (ret == -35)
			__sync_fetch_and_add(&edeadlk, 1);
		else
			__sync_fetch_and_add(&etimedout, 1);
		bpf_res_spin_unlock(&x->r);
		return ret;
	}
	x->count++;
	y->count++;
	bpf_res_spin_unlock(&y->r);
	bpf_res_spin_unlock(&x->r);
	__sync_fetch_and_add(&taken, 1);
	return 0;
}

void BPF_STRUCT_OPS(ticklocks_tick, struct task_struct *p)
{
	u32 cpu = bpf_get_smp_processor_id();

	switch (mode) {
	case 0:
		if (cpu & 1)
			take2(&b, &a);
		else
			take2(&a, &b);
		break;
	case 1:
		if (cpu % 3 == 0)
			take2(&a, &b);
		else if (cpu % 3 == 1)
			take2(&b, &c);
		else
			take2(&c, &a);
		break;
	case 2:
		bpf_spin_lock(&a.l);
		bpf_spin_lock(&a.l);
		bpf_spin_unlock(&a.l);
		bpf_spin_unlock(&a.l);
		break;
	default:
		take2(&a, &b);
	}
}

SCX_OPS_DEFINE(ticklocks_ops,
	       .tick = (void *)ticklocks_tick,
	       .name = "ticklocks");
