//go:build ignore

/* expect: reject "invalid mem access 'scalar'" in urb_dispatch
 * A NULL context is not writable.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_fail.c (Linux 6.12)
 * into a sched_ext policy. */
#include "urb.h"

static long cb(struct bpf_dynptr *dynptr, void *context)
{
	*((__u64 *)context) = 0;
	return 0;
}

URB_OPS(bpf_user_ringbuf_drain(&user_ringbuf, cb, NULL, 0);)
