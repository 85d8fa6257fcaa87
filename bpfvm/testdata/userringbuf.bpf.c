/* SPDX-License-Identifier: GPL-2.0 */
/* A user ring buffer drained with bpf_user_ringbuf_drain (callbacks reading
 * their sample through the dynptr with bpf_dynptr_data and bpf_dynptr_read),
 * and a ring buffer whose records a Go consumer reads. */
#include "common.h"

char _license[] SEC("license") = "GPL";

#define BPF_MAP_TYPE_RINGBUF 27
#define BPF_MAP_TYPE_USER_RINGBUF 31

struct bpf_dynptr {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

struct sample {
	u32 id;
	u32 stop; /* the callback returns 1 after this sample */
	u64 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} urb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} krb SEC(".maps");

u64 sum, order, calls, short_samples;
long nested;

static long add_sample(struct bpf_dynptr *dynptr, void *ctx)
{
	const struct sample *s;

	calls++;
	s = bpf_dynptr_data(dynptr, 0, sizeof(*s));
	if (!s) {
		short_samples++;
		return 0;
	}
	sum += s->value;
	order = order * 10 + s->id;
	*(u64 *)ctx += 1;
	return s->stop ? 1 : 0;
}

/* returns the drain's result; r_seen counts the callbacks through ctx */
u64 seen;

SEC("tc")
int drain(void *ctx)
{
	u64 n = 0;
	long ret = bpf_user_ringbuf_drain(&urb, add_sample, &n, 0);

	seen = n;
	return ret;
}

SEC("tc")
int drain_bad_flags(void *ctx)
{
	return bpf_user_ringbuf_drain(&urb, add_sample, &seen, 4);
}

static long read_then_nest(struct bpf_dynptr *dynptr, void *ctx)
{
	struct sample s = {};

	if (bpf_dynptr_read(&s, sizeof(s), dynptr, 0, 0))
		return 1;
	sum += s.value;
	/* the drain in progress holds the ring: -EBUSY */
	nested = bpf_user_ringbuf_drain(&urb, add_sample, &seen, 0);
	return 0;
}

SEC("tc")
int drain_nested(void *ctx)
{
	return bpf_user_ringbuf_drain(&urb, read_then_nest, NULL, 0);
}

SEC("tc")
int produce(void *ctx)
{
	u64 *rec;

	rec = bpf_ringbuf_reserve(&krb, sizeof(*rec) * 4, 0);
	if (!rec)
		return -1;
	rec[0] = sum++;
	bpf_ringbuf_submit(rec, 0);
	return bpf_ringbuf_query(&krb, 0); /* BPF_RB_AVAIL_DATA */
}

/* dynptrs on the stack (run unverified here): bpf_dynptr_from_mem, write
 * and read back, bounds, a ring buffer record through a dynptr */
SEC("tc")
int dynptr_mem(void *ctx)
{
	u64 buf[2] = {1, 2}, v = 7, out = 0;
	struct bpf_dynptr d;
	long r;

	if (bpf_dynptr_from_mem(buf, sizeof(buf), 0, &d))
		return -1;
	if (bpf_dynptr_write(&d, 8, &v, sizeof(v), 0))
		return -2;
	if (bpf_dynptr_read(&out, sizeof(out), &d, 8, 0) || out != 7 || buf[1] != 7)
		return -3;
	r = bpf_dynptr_read(&out, sizeof(out), &d, 12, 0); /* past the end */
	if (r != -7) /* -E2BIG */
		return -4;
	if (bpf_dynptr_data(&d, 0, 17)) /* longer than the memory */
		return -5;
	return 0;
}

SEC("tc")
int dynptr_ringbuf(void *ctx)
{
	struct bpf_dynptr d;
	u64 v = 42;

	if (bpf_ringbuf_reserve_dynptr(&krb, 8, 0, &d)) {
		bpf_ringbuf_discard_dynptr(&d, 0);
		return -1;
	}
	bpf_dynptr_write(&d, 0, &v, sizeof(v), 0);
	bpf_ringbuf_submit_dynptr(&d, 0);
	if (bpf_ringbuf_reserve_dynptr(&krb, 8, 0, &d))
		return -2;
	bpf_ringbuf_discard_dynptr(&d, 0);
	return 0;
}
