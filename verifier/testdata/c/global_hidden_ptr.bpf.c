//go:build ignore

/* expect: accept
 * A global function of hidden visibility (scx's __hidden, as scx_task_data in
 * scx_p2dq and scx_sdt) is loaded as static, libbpf's mark_btf_static, so it
 * may return a pointer: it is verified in its caller's context. The same
 * function with default visibility is rejected (global_void.bpf.c). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 counts[4];

__attribute__((visibility("hidden"))) __noinline u64 *slot(u32 i)
{
	if (i >= 4)
		return NULL;
	return &counts[i];
}

void BPF_STRUCT_OPS(gh_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 *c = slot(enq_flags & 7);

	if (c)
		*c += 1;
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(gh_ops,
	       .enqueue = (void *)gh_enqueue,
	       .name = "gh");
