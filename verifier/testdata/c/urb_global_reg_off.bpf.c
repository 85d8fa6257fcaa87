//go:build ignore

/* expect: reject "dereference of modified dynptr_ptr ptr R1 off=16384 disallowed" in urb_dispatch
 * A global function taking a dynptr gets it at offset 0 only.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_fail.c (Linux 6.12)
 * into a sched_ext policy. */
#include "urb.h"

__noinline long global_call_bpf_dynptr_data(struct bpf_dynptr *dynptr)
{
	bpf_dynptr_data(dynptr, 0xA, 0xA);
	return 0;
}

static long cb(struct bpf_dynptr *dynptr, void *ctx)
{
	global_call_bpf_dynptr_data(dynptr += 1024);
	return 0;
}

URB_OPS(bpf_user_ringbuf_drain(&user_ringbuf, cb, NULL, 0);)
