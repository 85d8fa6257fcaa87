//go:build ignore

/* expect: accept
 * Samples read through bpf_dynptr_data and bpf_dynptr_read, a context on
 * the stack, a global function taking the dynptr, the count returned (as
 * user_ringbuf_success.c and scx_rustland_core do).
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_success.c (Linux 6.12)
 * into a sched_ext policy. */
#include "urb.h"

__noinline long global_size(struct bpf_dynptr *dynptr)
{
	return bpf_dynptr_data(dynptr, 0, 8) ? 8 : 0;
}

static long cb(struct bpf_dynptr *dynptr, void *ctx)
{
	const struct sample *s;
	struct sample copy;

	s = bpf_dynptr_data(dynptr, 0, sizeof(*s));
	if (!s)
		return 0;
	*(long *)ctx += s->value + global_size(dynptr);
	if (bpf_dynptr_read(&copy, sizeof(copy), dynptr, 0, 0))
		return 1;
	return copy.seq > 10;
}

URB_OPS(long sum = 0; long n = bpf_user_ringbuf_drain(&user_ringbuf, cb, &sum, BPF_RB_NO_WAKEUP); if (n > 0 && sum > 100) scx_bpf_kick_cpu(cpu, 0);)
