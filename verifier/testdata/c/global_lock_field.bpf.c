//go:build ignore

/* expect: reject "bpf_spin_lock cannot be accessed directly by load/store" in glf_enqueue
 * A global function sees its pointer arguments as plain memory: a map
 * value that holds a lock may not be passed whole (the callee could write
 * over the lock). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct val {
	struct bpf_spin_lock lock;
	u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct val);
} vals SEC(".maps");

__noinline int clear(struct val *v)
{
	if (!v)
		return 0;
	v->n = 0;
	return 1;
}

void BPF_STRUCT_OPS(glf_enqueue, struct task_struct *p, u64 enq_flags)
{
	u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&vals, &k);

	if (v)
		clear(v);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(glf_ops,
	       .enqueue = (void *)glf_enqueue,
	       .name = "glf");
