//go:build ignore

/* expect: reject "At callback return the register R0 has " in urb_dispatch
 * A drain callback returns 0 or 1.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_fail.c (Linux 6.12)
 * into a sched_ext policy. */
#include "urb.h"

static long cb(struct bpf_dynptr *dynptr, void *context)
{
	return 2;
}

URB_OPS(bpf_user_ringbuf_drain(&user_ringbuf, cb, NULL, 0);)
