//go:build ignore

/* expect: reject "dereference of modified dynptr_ptr ptr" in urb_dispatch
 * A callback may not pass its dynptr plus one to a helper.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_fail.c (Linux 6.12)
 * into a sched_ext policy. */
#include "urb.h"

static long cb(struct bpf_dynptr *dynptr, void *context)
{
	const struct sample *sample;

	sample = bpf_dynptr_data(dynptr + 1, 0, sizeof(*sample));
	bpf_printk("Was able to pass bad pointer %lx\n", (__u64)dynptr + 1);
	return 0;
}

URB_OPS(bpf_user_ringbuf_drain(&user_ringbuf, cb, NULL, 0);)
