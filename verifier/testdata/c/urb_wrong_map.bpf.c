//go:build ignore

/* expect: reject "cannot pass map_type 27 into func bpf_user_ringbuf_drain#209" in urb_dispatch
 * bpf_user_ringbuf_drain drains a user ring buffer only.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_fail.c (Linux 6.12)
 * into a sched_ext policy. */
#include "urb.h"

static long cb(struct bpf_dynptr *dynptr, void *ctx)
{
	return 0;
}

URB_OPS(bpf_user_ringbuf_drain(&ringbuf, cb, NULL, 0);)
