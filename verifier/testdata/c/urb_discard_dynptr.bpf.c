//go:build ignore

/* expect: reject "cannot release unowned const bpf_dynptr" in urb_dispatch
 * A callback may not discard its dynptr.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_fail.c (Linux 6.12)
 * into a sched_ext policy. */
#include "urb.h"

static long cb(struct bpf_dynptr *dynptr, void *context)
{
	bpf_ringbuf_discard_dynptr(dynptr, 0);
	return 0;
}

URB_OPS(bpf_user_ringbuf_drain(&user_ringbuf, cb, NULL, 0);)
