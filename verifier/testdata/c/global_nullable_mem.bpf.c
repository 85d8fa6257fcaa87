//go:build ignore

/* expect: reject "invalid mem access 'mem_or_null'" in gn_enqueue
 * A pointer argument of a global function may be NULL (unless tagged
 * __arg_nonnull): the function must check it before use, whatever its
 * callers pass. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

__noinline int get(u64 *v)
{
	return *v;
}

void BPF_STRUCT_OPS(gn_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 x = enq_flags;

	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, get(&x));
}

SCX_OPS_DEFINE(gn_ops,
	       .enqueue = (void *)gn_enqueue,
	       .name = "gn");
