//go:build ignore

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench: callbacks for the bridge's micro-benchmarks.
 *   running:  returns at once (the cost of one callback invocation);
 *   stopping: 100 uncontended bpf_spin_lock/unlock pairs;
 *   quiescent: 100 iterations of the same loop without the lock.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct lk {
	struct bpf_spin_lock l;
	u64 n;
};

private(L) struct lk lk;

void BPF_STRUCT_OPS(bench_running, struct task_struct *p)
{
}

void BPF_STRUCT_OPS(bench_stopping, struct task_struct *p, bool runnable)
{
	u32 i;

	bpf_for(i, 0, 100) {
		bpf_spin_lock(&lk.l);
		lk.n++;
		bpf_spin_unlock(&lk.l);
	}
}

void BPF_STRUCT_OPS(bench_quiescent, struct task_struct *p, u64 deq_flags)
{
	u32 i;

	bpf_for(i, 0, 100)
		lk.n++;
}

SCX_OPS_DEFINE(bench_ops,
	       .running = (void *)bench_running,
	       .stopping = (void *)bench_stopping,
	       .quiescent = (void *)bench_quiescent,
	       .name = "bench");
