//go:build ignore

/* expect: reject "only read is supported" in wp_enqueue
 * Only p->scx.slice, p->scx.dsq_vtime and p->scx.disallow are writable. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

void BPF_STRUCT_OPS(wp_enqueue, struct task_struct *p, u64 enq_flags)
{
	p->scx.weight = 1;
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(wp_ops,
	       .enqueue = (void *)wp_enqueue,
	       .name = "write_pid");
