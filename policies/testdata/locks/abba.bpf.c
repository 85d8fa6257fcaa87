//go:build ignore

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abba: a FIFO whose enqueue takes lock a then lock b, and whose dispatch
 * takes b then a: an AB-BA deadlock waiting for the right interleaving.
 * With ordered = 1 both take a then b (correct). With resilient = 1 it uses
 * bpf_res_spin_lock and handles -EDEADLK by backing off.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0

const volatile u32 ordered;
const volatile u32 resilient;

struct lk {
	struct bpf_spin_lock l;
	struct bpf_res_spin_lock r;
	u64 n;
};

private(LA) struct lk a;
private(LB) struct lk b;

u64 edeadlk, rounds;

static __always_inline void both(struct lk *x, struct lk *y)
{
	u32 i;

	if (!resilient) {
		bpf_spin_lock(&x->l);
		/* some work between the two acquisitions */
		bpf_for(i, 0, 16)
			x->n += i;
		bpf_spin_lock(&y->l);
		y->n++;
		bpf_spin_unlock(&y->l);
		bpf_spin_unlock(&x->l);
		__sync_fetch_and_add(&rounds, 1);
		return;
	}
	if (bpf_res_spin_lock(&x->r)) {
		__sync_fetch_and_add(&edeadlk, 1);
		return;
	}
	bpf_for(i, 0, 16)
		x->n += i;
	if (bpf_res_spin_lock(&y->r)) {
		__sync_fetch_and_add(&edeadlk, 1);
		bpf_res_spin_unlock(&x->r);
		return;
	}
	y->n++;
	bpf_res_spin_unlock(&y->r);
	bpf_res_spin_unlock(&x->r);
	__sync_fetch_and_add(&rounds, 1);
}

void BPF_STRUCT_OPS(abba_enqueue, struct task_struct *p, u64 enq_flags)
{
	both(&a, &b);
	scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(abba_dispatch, s32 cpu, struct task_struct *prev)
{
	if (ordered)
		both(&a, &b);
	else
		both(&b, &a);
	scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(abba_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SCX_OPS_DEFINE(abba_ops,
	       .enqueue = (void *)abba_enqueue,
	       .dispatch = (void *)abba_dispatch,
	       .init = (void *)abba_init,
	       .name = "abba");
