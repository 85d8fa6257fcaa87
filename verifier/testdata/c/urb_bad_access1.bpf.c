//go:build ignore

/* expect: reject "negative offset dynptr_ptr ptr" in urb_dispatch
 * A callback may not pass its dynptr minus one to a helper.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_fail.c (Linux 6.12)
 * into a sched_ext policy. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct sample {
	int pid;
	int seq;
	long value;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} user_ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ringbuf SEC(".maps");

static int map_value;

static long cb(struct bpf_dynptr *dynptr, void *context)
{
	const struct sample *sample;

	sample = bpf_dynptr_data(dynptr - 1, 0, sizeof(*sample));
	bpf_printk("Was able to pass bad pointer %lx\n", (__u64)dynptr - 1);
	return 0;
}

void BPF_STRUCT_OPS(urb_dispatch, s32 cpu, struct task_struct *prev)
{
	bpf_user_ringbuf_drain(&user_ringbuf, cb, NULL, 0);
	scx_bpf_dsq_move_to_local(SCX_DSQ_GLOBAL);
}

SCX_OPS_DEFINE(urb_ops,
	       .dispatch = (void *)urb_dispatch,
	       .name = "urb");
