//go:build ignore

/* expect: reject "arg#0 arena cannot be combined with any other tags" in gat_enqueue
 * __arg_arena stands alone (btf_prepare_func_args): an arena pointer is a
 * number to the callee, so __arg_nonnull or __arg_nullable mean nothing
 * for it. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4); /* pages */
} arena SEC(".maps");

struct counter {
	u64 n;
};

struct counter __arena *ctr __arena_global;

__noinline int bump(struct counter __arena *c __arg_arena __arg_nonnull)
{
	c->n++;
	return 0;
}

void BPF_STRUCT_OPS(gat_enqueue, struct task_struct *p, u64 enq_flags)
{
	bump(ctr);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(gat_ops,
	       .enqueue = (void *)gat_enqueue,
	       .name = "gat");
