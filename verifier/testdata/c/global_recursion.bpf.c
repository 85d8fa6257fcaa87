//go:build ignore

/* expect: reject "the call stack of 8 frames is too deep !" in grec_enqueue
 * Global functions are verified once each, not at their calls, so the
 * exploration does not bound their recursion: the call graph does. ping
 * and pong call each other without a bound. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 depth, seen;

__noinline int pong(u64 n);

__noinline int ping(u64 n)
{
	depth++;
	if (n)
		pong(n - 1);
	seen += depth;
	return 0;
}

__noinline int pong(u64 n)
{
	depth--;
	if (n)
		ping(n - 1);
	seen ^= depth;
	return 0;
}

void BPF_STRUCT_OPS(grec_enqueue, struct task_struct *p, u64 enq_flags)
{
	ping(enq_flags);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(grec_ops,
	       .enqueue = (void *)grec_enqueue,
	       .name = "grec");
