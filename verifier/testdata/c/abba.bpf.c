//go:build ignore

/* expect: accept
 * Two callbacks take the same two locks in opposite orders: each program
 * is fine alone, CheckLockOrder reports the ABBA. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

private(A) struct bpf_spin_lock lock_a;
private(A) u64 count_a;
private(B) struct bpf_spin_lock lock_b;
private(B) u64 count_b;

void BPF_STRUCT_OPS(abba_enqueue, struct task_struct *p, u64 enq_flags)
{
	bpf_spin_lock(&lock_a);
	bpf_spin_lock(&lock_b);
	count_a++;
	count_b++;
	bpf_spin_unlock(&lock_b);
	bpf_spin_unlock(&lock_a);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(abba_dispatch, s32 cpu, struct task_struct *prev)
{
	bpf_spin_lock(&lock_b);
	bpf_spin_lock(&lock_a);
	count_b--;
	count_a--;
	bpf_spin_unlock(&lock_a);
	bpf_spin_unlock(&lock_b);
}

SCX_OPS_DEFINE(abba_ops,
	       .enqueue = (void *)abba_enqueue,
	       .dispatch = (void *)abba_dispatch,
	       .name = "abba");
