//go:build ignore

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oob: a broken policy. After 50 enqueues it stores through a pointer that
 * lies outside anything it may access. The verifier rejects this program;
 * run without verification, schedsim's interpreter must catch the store,
 * report instruction and source line, and eject the policy.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 nr_enqueued;

void BPF_STRUCT_OPS(oob_enqueue, struct task_struct *p, u64 enq_flags)
{
	if (++nr_enqueued > 50) {
		u64 *wild = (u64 *)(unsigned long)(0xdead0000ULL + nr_enqueued);

		*wild = nr_enqueued;	/* the bad store */
	}
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(oob_ops,
	       .enqueue = (void *)oob_enqueue,
	       .name = "oob");
