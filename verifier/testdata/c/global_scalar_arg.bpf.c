//go:build ignore

/* expect: reject "R1 is not a scalar" in gs_enqueue
 * An integer argument of a global function gets a number, not a pointer
 * (the callee would see a scalar and could not keep it safe). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 count;

__noinline int twice(u64 v)
{
	return v * 2;
}

void BPF_STRUCT_OPS(gs_enqueue, struct task_struct *p, u64 enq_flags)
{
	count = twice((u64)p);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(gs_ops,
	       .enqueue = (void *)gs_enqueue,
	       .name = "gs");
