//go:build ignore

/* expect: reject "invalid access to memory, mem_size=24 off=24 size=8" in urb_dispatch
 * bpf_dynptr_data gives the bytes asked for, no more.
 * Ported from the kernel's
 * tools/testing/selftests/bpf/progs/user_ringbuf_success.c (Linux 6.12)
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

static long cb(struct bpf_dynptr *dynptr, void *ctx)
{
	long *v = bpf_dynptr_data(dynptr, 0, 24);

	if (v)
		*(long *)ctx += v[3];
	return 0;
}

void BPF_STRUCT_OPS(urb_dispatch, s32 cpu, struct task_struct *prev)
{
	long sum = 0; bpf_user_ringbuf_drain(&user_ringbuf, cb, &sum, 0);
	scx_bpf_dsq_move_to_local(SCX_DSQ_GLOBAL);
}

SCX_OPS_DEFINE(urb_ops,
	       .dispatch = (void *)urb_dispatch,
	       .name = "urb");
