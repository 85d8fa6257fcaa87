//go:build ignore

/* expect: reject "global function calls are not allowed while holding a lock" in gl_enqueue
 * A global function is verified without the caller's locks: calling one
 * under a lock is rejected, as in the kernel (a static function may be). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

private(A) struct bpf_spin_lock lock;
private(A) u64 count;

__noinline int add(u64 v)
{
	return v + 1;
}

void BPF_STRUCT_OPS(gl_enqueue, struct task_struct *p, u64 enq_flags)
{
	bpf_spin_lock(&lock);
	count = add(count);
	bpf_spin_unlock(&lock);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(gl_ops,
	       .enqueue = (void *)gl_enqueue,
	       .name = "gl");
