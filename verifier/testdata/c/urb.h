/* Common part of the urb_*.bpf.c cases: the maps and sample of the
 * kernel's tools/testing/selftests/bpf/progs/user_ringbuf_fail.c (Linux
 * 6.12), and URB_OPS(stmt): a sched_ext policy whose ops.dispatch runs
 * stmt (a bpf_user_ringbuf_drain call). */
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

#define URB_OPS(stmt)							\
void BPF_STRUCT_OPS(urb_dispatch, s32 cpu, struct task_struct *prev)	\
{									\
	stmt								\
	scx_bpf_dsq_move_to_local(SCX_DSQ_GLOBAL);			\
}									\
									\
SCX_OPS_DEFINE(urb_ops,							\
	       .dispatch = (void *)urb_dispatch,			\
	       .name = "urb");
