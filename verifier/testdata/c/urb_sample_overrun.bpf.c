//go:build ignore

/* expect: reject "invalid access to memory, mem_size=24 off=24 size=8" in urb_dispatch
 * bpf_dynptr_data gives the bytes asked for, no more.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_success.c (Linux 6.12)
 * into a sched_ext policy. */
#include "urb.h"

static long cb(struct bpf_dynptr *dynptr, void *ctx)
{
	long *v = bpf_dynptr_data(dynptr, 0, 24);

	if (v)
		*(long *)ctx += v[3];
	return 0;
}

URB_OPS(long sum = 0; bpf_user_ringbuf_drain(&user_ringbuf, cb, &sum, 0);)
