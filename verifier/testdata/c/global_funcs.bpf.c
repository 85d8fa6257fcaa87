//go:build ignore

/* expect: accept
 * Global functions, each verified once on its own against its BTF
 * prototype: scalar, memory, trusted-task and context arguments, a lock
 * taken and released inside, a global calling a global, NULL checks of
 * nullable memory. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct counter {
	struct bpf_spin_lock lock;
	u64 n;
	u64 calls, sum; /* a struct stats the global functions update */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct counter);
} counters SEC(".maps");

struct stats {
	u64 calls;
	u64 sum;
};

__noinline int bump(u32 key, u64 by)
{
	struct counter *c = bpf_map_lookup_elem(&counters, &key);

	if (!c)
		return -1;
	bpf_spin_lock(&c->lock);
	c->n += by;
	bpf_spin_unlock(&c->lock);
	return 0;
}

__noinline int account(struct stats *s, u64 v)
{
	if (!s)
		return -1;
	s->calls++;
	s->sum += v;
	return bump(v & 63, 1);
}

__noinline int task_key(struct task_struct *p __arg_trusted)
{
	return p->pid & 63;
}

__noinline int first_arg(u64 *ctx __arg_ctx)
{
	return 0;
}

void BPF_STRUCT_OPS(glob_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct stats s = {};

	account(&s, enq_flags);
	account(NULL, 0);
	bump(task_key(p), s.calls);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(glob_running, struct task_struct *p)
{
	u32 k = 3;
	struct counter *c = bpf_map_lookup_elem(&counters, &k);

	if (c)
		account((struct stats *)&c->calls, 2);
	bump(task_key(p), 1);
}

SCX_OPS_DEFINE(glob_ops,
	       .enqueue = (void *)glob_enqueue,
	       .running = (void *)glob_running,
	       .name = "glob");
