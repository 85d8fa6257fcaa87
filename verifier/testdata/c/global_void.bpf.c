//go:build ignore

/* expect: reject "Global function bump() doesn't return scalar" in gv_enqueue
 * Global functions return an integer, as in the kernel; make a void one
 * static. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 count;

__noinline void bump(u64 v)
{
	count += v;
}

void BPF_STRUCT_OPS(gv_enqueue, struct task_struct *p, u64 enq_flags)
{
	bump(enq_flags);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(gv_ops,
	       .enqueue = (void *)gv_enqueue,
	       .name = "gv");
