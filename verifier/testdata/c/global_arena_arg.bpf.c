//go:build ignore

/* expect: accept
 * A global function taking an arena pointer (__arg_arena, as scx's
 * lib/bitmap.bpf.c and lavd's is_perf_cri() do): the callee sees a number
 * and makes it an arena pointer with addr_space_cast; callers pass an
 * arena pointer or a number (btf_prepare_func_args: ARG_PTR_TO_ARENA). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4); /* pages */
} arena SEC(".maps");

struct counter {
	u64 n;
	u64 last;
};

struct counter __arena *ctr __arena_global;

__noinline int bump(struct counter __arena *c __arg_arena, u64 v)
{
	if (!c)
		return 0;
	c->n++;
	c->last = v;
	return c->n & 1;
}

u64 odd;

void BPF_STRUCT_OPS(ga_enqueue, struct task_struct *p, u64 enq_flags)
{
	if (bump(ctr, p->pid))
		odd++;
	bump(NULL, 0);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(ga_ops,
	       .enqueue = (void *)ga_enqueue,
	       .name = "ga");
