//go:build ignore

/* expect: reject "invalid access to memory, mem_size=8 off=8 size=8" in rbo_enqueue
 * A ring buffer record has the size reserved, no more
 * (RET_PTR_TO_RINGBUF_MEM_OR_NULL of the constant size). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} msgs SEC(".maps");

void BPF_STRUCT_OPS(rbo_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 *m = bpf_ringbuf_reserve(&msgs, 8, 0);

	if (m) {
		m[0] = p->pid;
		m[1] = enq_flags;
		bpf_ringbuf_submit(m, 0);
	}
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(rbo_ops,
	       .enqueue = (void *)rbo_enqueue,
	       .name = "rbo");
