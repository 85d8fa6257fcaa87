//go:build ignore

/* expect: accept
 * A global function takes A then B; enqueue and dispatch call it (the
 * second reuses the first's verification through verifier.Cache);
 * running takes B then A: CheckLockOrder reports the cycle. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

private(A) struct bpf_spin_lock lock_a;
private(A) u64 count_a;
private(B) struct bpf_spin_lock lock_b;
private(B) u64 count_b;

__noinline int take_ab(u64 v)
{
	bpf_spin_lock(&lock_a);
	bpf_spin_lock(&lock_b);
	count_a += v;
	count_b += v;
	bpf_spin_unlock(&lock_b);
	bpf_spin_unlock(&lock_a);
	return 0;
}

void BPF_STRUCT_OPS(gab_enqueue, struct task_struct *p, u64 enq_flags)
{
	take_ab(enq_flags);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(gab_dispatch, s32 cpu, struct task_struct *prev)
{
	take_ab(cpu);
}

void BPF_STRUCT_OPS(gab_running, struct task_struct *p)
{
	bpf_spin_lock(&lock_b);
	bpf_spin_lock(&lock_a);
	count_b--;
	count_a--;
	bpf_spin_unlock(&lock_a);
	bpf_spin_unlock(&lock_b);
}

SCX_OPS_DEFINE(gab_ops,
	       .enqueue = (void *)gab_enqueue,
	       .dispatch = (void *)gab_dispatch,
	       .running = (void *)gab_running,
	       .name = "gab");
