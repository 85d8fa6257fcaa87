//go:build ignore

/* expect: reject "Unreleased reference" in leak_enqueue
 * The task reference is released on one path only. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

void BPF_STRUCT_OPS(leak_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_struct *t = bpf_task_from_pid(p->pid);

	if (!t)
		return;
	if (enq_flags & 1)
		return;
	bpf_task_release(t);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(leak_ops,
	       .enqueue = (void *)leak_enqueue,
	       .name = "leak");
