//go:build ignore

/* expect: accept
 * A helper's read-only memory argument may be a field of a trusted kernel
 * object (mem_types' PTR_TO_BTF_ID | PTR_TRUSTED, read as
 * check_ptr_to_btf_access does): bpf_strncmp(p->comm, 8, "..."), as
 * scx_lavd's introspection does. A record reserved in a ring buffer is
 * memory of the constant size asked for, released by submit or discard. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} msgs SEC(".maps");

struct msg {
	u64 pid;
	u64 n;
};

u64 named;

void BPF_STRUCT_OPS(hm_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct msg *m;

	if (bpf_strncmp(p->comm, 8, "schedsim") == 0)
		named++;
	m = bpf_ringbuf_reserve(&msgs, sizeof(*m), 0);
	if (m) {
		m->pid = p->pid;
		m->n = named;
		if (named & 1)
			bpf_ringbuf_discard(m, 0);
		else
			bpf_ringbuf_submit(m, 0);
	}
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(hm_ops,
	       .enqueue = (void *)hm_enqueue,
	       .name = "hm");
