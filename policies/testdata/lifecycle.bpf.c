/*
 * lifecycle.bpf.c: counts the task lifecycle callbacks, as the kernel's
 * init_enable_count selftest does, to check that the disable path pairs
 * them (sim/disable.go): after the scheduler is unregistered or ejected,
 * init_task == exit_task and enable == disable. ops.exit records the
 * counts it sees, so the test can check that every ops.exit_task came
 * before it. With error_after set, the scheduler calls scx_bpf_error()
 * at that enqueue (an ejection). For TestDisablePathPairsCallbacks.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);
const volatile u64 error_after;

u64 init_task_cnt, exit_task_cnt, enable_cnt, disable_cnt, init_fork_cnt;
u64 enqueue_cnt, cancelled_cnt, bad_order_cnt;
u64 exit_task_at_exit, disable_at_exit;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, s32);
	__type(value, u32);
} enabled SEC(".maps");

s32 BPF_STRUCT_OPS(lifecycle_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	__sync_fetch_and_add(&init_task_cnt, 1);
	if (args->fork)
		__sync_fetch_and_add(&init_fork_cnt, 1);
	return 0;
}

void BPF_STRUCT_OPS(lifecycle_enable, struct task_struct *p)
{
	s32 pid = p->pid;
	u32 one = 1;

	__sync_fetch_and_add(&enable_cnt, 1);
	bpf_map_update_elem(&enabled, &pid, &one, BPF_ANY);
}

void BPF_STRUCT_OPS(lifecycle_disable, struct task_struct *p)
{
	s32 pid = p->pid;

	__sync_fetch_and_add(&disable_cnt, 1);
	if (bpf_map_delete_elem(&enabled, &pid))
		__sync_fetch_and_add(&bad_order_cnt, 1);
}

void BPF_STRUCT_OPS(lifecycle_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	s32 pid = p->pid;

	__sync_fetch_and_add(&exit_task_cnt, 1);
	if (args->cancelled)
		__sync_fetch_and_add(&cancelled_cnt, 1);
	/* ops.disable comes first for an enabled task */
	if (bpf_map_lookup_elem(&enabled, &pid))
		__sync_fetch_and_add(&bad_order_cnt, 1);
}

void BPF_STRUCT_OPS(lifecycle_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 n = __sync_fetch_and_add(&enqueue_cnt, 1) + 1;

	if (error_after && n == error_after)
		scx_bpf_error("enqueue %llu", n);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(lifecycle_exit, struct scx_exit_info *ei)
{
	exit_task_at_exit = exit_task_cnt;
	disable_at_exit = disable_cnt;
	UEI_RECORD(uei, ei);
}

SCX_OPS_DEFINE(lifecycle_ops,
	       .init_task = (void *)lifecycle_init_task,
	       .enable = (void *)lifecycle_enable,
	       .disable = (void *)lifecycle_disable,
	       .exit_task = (void *)lifecycle_exit_task,
	       .enqueue = (void *)lifecycle_enqueue,
	       .exit = (void *)lifecycle_exit,
	       .name = "lifecycle");
