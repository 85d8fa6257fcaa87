/* relay.bpf.c: a test policy whose decisions pass through user space, as
 * scx_userland's: ops.enqueue queues the pid in `enqueued` for a user-space
 * task (pid usersched_pid), ops.dispatch dispatches that task when it has
 * work and inserts the pids user space put in `dispatched`. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

const volatile s32 usersched_pid;

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1024);
	__type(value, s32);
} enqueued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1024);
	__type(value, s32);
} dispatched SEC(".maps");

u64 nr_queued, nr_scheduled, nr_relayed, nr_user_runs;
static u32 user_needed;

void BPF_STRUCT_OPS(relay_enqueue, struct task_struct *p, u64 enq_flags)
{
	s32 pid = p->pid;

	if (pid == usersched_pid)
		return; /* runs when ops.dispatch dispatches it */
	if (bpf_map_push_elem(&enqueued, &pid, 0)) {
		scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
		return;
	}
	__sync_fetch_and_add(&nr_queued, 1);
	user_needed = 1;
}

void BPF_STRUCT_OPS(relay_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;
	s32 pid;

	if (user_needed) {
		user_needed = 0;
		p = bpf_task_from_pid(usersched_pid);
		if (p) {
			scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
			bpf_task_release(p);
			nr_user_runs++;
		}
	}
	bpf_repeat(8) {
		if (bpf_map_pop_elem(&dispatched, &pid))
			break;
		p = bpf_task_from_pid(pid);
		if (!p)
			continue;
		scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, 0);
		bpf_task_release(p);
		nr_relayed++;
	}
}

void BPF_STRUCT_OPS(relay_update_idle, s32 cpu, bool idle)
{
	if (idle && (nr_queued || nr_scheduled)) {
		user_needed = 1;
		scx_bpf_kick_cpu(cpu, 0);
	}
}

SCX_OPS_DEFINE(relay_ops,
	       .enqueue = (void *)relay_enqueue,
	       .dispatch = (void *)relay_dispatch,
	       .update_idle = (void *)relay_update_idle,
	       .flags = SCX_OPS_KEEP_BUILTIN_IDLE,
	       .name = "relay");
