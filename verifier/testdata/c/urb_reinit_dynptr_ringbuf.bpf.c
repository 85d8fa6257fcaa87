//go:build ignore

/* expect: reject "Dynptr has to be an uninitialized dynptr" in urb_dispatch
 * A callback may not re-initialise its dynptr (bpf_ringbuf_reserve_dynptr).
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
	bpf_ringbuf_reserve_dynptr(&ringbuf, 8, 0, dynptr);
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
