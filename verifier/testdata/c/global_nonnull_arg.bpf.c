//go:build ignore

/* expect: reject "arg#0 is expected to be non-NULL" in gnn_enqueue
 * An __arg_nonnull argument may be used without a check; its callers may
 * not pass a pointer that may be NULL. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} vals SEC(".maps");

__noinline int get(u64 *v __arg_nonnull)
{
	return *v;
}

void BPF_STRUCT_OPS(gnn_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 x = enq_flags;
	u32 k = 0;

	x += get(&x);
	x += get(bpf_map_lookup_elem(&vals, &k));
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, x);
}

SCX_OPS_DEFINE(gnn_ops,
	       .enqueue = (void *)gnn_enqueue,
	       .name = "gnn");
