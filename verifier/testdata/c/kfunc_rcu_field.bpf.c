//go:build ignore

/* expect: accept
 * p->real_parent, read through a trusted task in a (non-sleepable, so RCU)
 * callback, is an RCU pointer (BTF_TYPE_SAFE_RCU(struct task_struct)):
 * KF_RCU kfuncs (scx_bpf_task_cpu, scx_bpf_task_running) take it. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 parent_cpu;

void BPF_STRUCT_OPS(krf_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_struct *parent = p->real_parent;

	if (parent && !scx_bpf_task_running(parent))
		parent_cpu = scx_bpf_task_cpu(parent);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(krf_ops,
	       .enqueue = (void *)krf_enqueue,
	       .name = "krf");
