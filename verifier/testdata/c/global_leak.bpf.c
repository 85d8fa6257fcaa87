//go:build ignore

/* expect: reject "Unreleased reference" in glk_enqueue
 * A global function releases what it acquires before it returns: its
 * callers cannot see its references. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

__noinline int peek(s32 pid)
{
	struct task_struct *t = bpf_task_from_pid(pid);

	if (!t)
		return -1;
	return t->prio;
}

void BPF_STRUCT_OPS(glk_enqueue, struct task_struct *p, u64 enq_flags)
{
	peek(p->pid);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(glk_ops,
	       .enqueue = (void *)glk_enqueue,
	       .name = "glk");
