/* classes.bpf.c: a test policy that handles higher scheduling classes the
 * way scx_qmap does, and writes a debug dump.
 *
 * One shared FIFO DSQ. When an RT task takes a CPU, ops.cpu_release sends
 * the tasks waiting on that CPU's local DSQ back through ops.enqueue with
 * scx_bpf_reenqueue_local(); ops.enqueue puts SCX_ENQ_REENQ tasks on the
 * shared DSQ and kicks an idle CPU for them. ops.cpu_acquire counts the
 * CPU coming back. ops.dump, ops.dump_cpu and ops.dump_task add lines to
 * the debug dump of an error exit (made on purpose at fail_at_ns), and
 * ops.exit keeps the start of the dump it receives. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 0
#define SCHED_EXT 7	/* p->policy of a sched_ext task; RT tasks are SCHED_FIFO (1) */

const volatile u64 fail_at_ns;	/* scx_bpf_error() at the first tick after it */

u64 nr_releases, nr_acquires, nr_reenqueued, nr_reenq_enqueues, nr_bad_reason;
u64 nr_rt_running, nr_dumps, nr_dump_cpus, nr_dump_tasks;
s32 last_release_pid, exit_kind;
char exit_dump[256];

s32 BPF_STRUCT_OPS(classes_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &idle);

	if (idle)
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
	return cpu;
}

void BPF_STRUCT_OPS(classes_enqueue, struct task_struct *p, u64 enq_flags)
{
	if (enq_flags & SCX_ENQ_REENQ) {
		s32 cpu;

		nr_reenq_enqueues++;
		scx_bpf_dsq_insert(p, SHARED_DSQ, 0, enq_flags);
		cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
		if (cpu >= 0)
			scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return;
	}
	scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(classes_dispatch, s32 cpu, struct task_struct *prev)
{
	scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

void BPF_STRUCT_OPS(classes_running, struct task_struct *p)
{
	if (p->policy != SCHED_EXT)
		nr_rt_running++;
}

void BPF_STRUCT_OPS(classes_tick, struct task_struct *p)
{
	if (fail_at_ns && bpf_ktime_get_ns() >= fail_at_ns)
		scx_bpf_error("failing on purpose in %s[%d]", p->comm, p->pid);
}

void BPF_STRUCT_OPS(classes_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	nr_releases++;
	if (args->reason != SCX_CPU_PREEMPT_RT)
		nr_bad_reason++;
	last_release_pid = args->task->pid;
	nr_reenqueued += scx_bpf_reenqueue_local();
}

void BPF_STRUCT_OPS(classes_cpu_acquire, s32 cpu, struct scx_cpu_acquire_args *args)
{
	nr_acquires++;
}

void BPF_STRUCT_OPS(classes_dump, struct scx_dump_ctx *dctx)
{
	nr_dumps++;
	scx_bpf_dump("classes: releases=%llu acquires=%llu reenqueued=%llu\n",
		     nr_releases, nr_acquires, nr_reenqueued);
	scx_bpf_dump("exit kind %d\n", dctx->kind);
}

void BPF_STRUCT_OPS(classes_dump_cpu, struct scx_dump_ctx *dctx, s32 cpu, bool idle)
{
	nr_dump_cpus++;
	if (idle)
		return;
	scx_bpf_dump("local dsq of cpu %d: %d tasks\n", cpu,
		     scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL_ON | cpu));
}

void BPF_STRUCT_OPS(classes_dump_task, struct scx_dump_ctx *dctx, struct task_struct *p)
{
	nr_dump_tasks++;
	/* one line made of two calls */
	scx_bpf_dump("pid %d", p->pid);
	scx_bpf_dump(" weight %u\n", p->scx.weight);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(classes_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

void BPF_STRUCT_OPS(classes_exit, struct scx_exit_info *ei)
{
	exit_kind = ei->kind;
	bpf_probe_read_kernel_str(exit_dump, sizeof(exit_dump), ei->dump);
}

SCX_OPS_DEFINE(classes_ops,
	       .select_cpu = (void *)classes_select_cpu,
	       .enqueue = (void *)classes_enqueue,
	       .dispatch = (void *)classes_dispatch,
	       .running = (void *)classes_running,
	       .tick = (void *)classes_tick,
	       .cpu_release = (void *)classes_cpu_release,
	       .cpu_acquire = (void *)classes_cpu_acquire,
	       .dump = (void *)classes_dump,
	       .dump_cpu = (void *)classes_dump_cpu,
	       .dump_task = (void *)classes_dump_task,
	       .init = (void *)classes_init,
	       .exit = (void *)classes_exit,
	       .name = "classes");
