/* urbsched.bpf.c: a test policy speaking scx_rustland_core's protocol with
 * its user space: ops.enqueue sends each task (struct queued_task_ctx) to
 * the `queued` ring buffer, user space (the recipe's [user_task] model =
 * "rustland", pid usersched_pid) orders them and writes struct
 * dispatched_task_ctx records into the `dispatched` user ring buffer, which
 * ops.dispatch drains with bpf_user_ringbuf_drain; the user-space task is
 * dispatched from its own DSQ while it has work (nr_scheduled, data in
 * `queued`), and a yielding one keeps its CPU then. rs_select_cpu is the
 * SEC("syscall") program user space runs to pick a CPU. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 1024
#define SCHED_DSQ 1025
#define RL_CPU_ANY (1 << 20)

struct queued_task_ctx {
	s32 pid;
	s32 cpu;
	u64 nr_cpus_allowed;
	u64 flags;
	u64 start_ts;
	u64 stop_ts;
	u64 exec_runtime;
	u64 weight;
	u64 vtime;
	u64 enq_cnt;
	char comm[16];
};

struct dispatched_task_ctx {
	s32 pid;
	s32 cpu;
	u64 flags;
	u64 slice_ns;
	u64 vtime;
	u64 enq_cnt;
};

struct task_cpu_arg {
	s32 pid;
	s32 cpu;
	u64 flags;
};

struct task_ctx {
	u64 start_ts, stop_ts, exec_runtime, enq_cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096 * sizeof(struct queued_task_ctx));
} queued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096 * sizeof(struct dispatched_task_ctx));
} dispatched SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} tctxs SEC(".maps");

const volatile u32 usersched_pid;
const volatile u64 slice_ns = 1000000;
volatile u64 nr_queued, nr_scheduled;
u64 nr_drained, nr_any, nr_on_cpu, nr_stale, nr_usersched_runs, nr_refills;

static bool pending(void)
{
	return nr_scheduled || bpf_ringbuf_query(&queued, BPF_RB_AVAIL_DATA) > 0;
}

/* every wakeup goes to user space (scx_rustland without builtin_idle) */
s32 BPF_STRUCT_OPS(urbsched_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	return prev_cpu;
}

s32 BPF_STRUCT_OPS(urbsched_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	return bpf_task_storage_get(&tctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE) ? 0 : -ENOMEM;
}

void BPF_STRUCT_OPS(urbsched_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct queued_task_ctx *q;
	struct task_ctx *tctx;

	if (p->pid == usersched_pid) {
		scx_bpf_dsq_insert(p, SCHED_DSQ, slice_ns, enq_flags);
		return;
	}
	tctx = bpf_task_storage_get(&tctxs, p, 0, 0);
	q = bpf_ringbuf_reserve(&queued, sizeof(*q), 0);
	if (!tctx || !q) {
		if (q)
			bpf_ringbuf_discard(q, 0);
		scx_bpf_dsq_insert(p, SHARED_DSQ, slice_ns, enq_flags);
		return;
	}
	q->pid = p->pid;
	q->cpu = scx_bpf_task_cpu(p);
	q->nr_cpus_allowed = p->nr_cpus_allowed;
	q->flags = enq_flags;
	q->start_ts = tctx->start_ts;
	q->stop_ts = tctx->stop_ts;
	q->exec_runtime = tctx->exec_runtime;
	q->weight = p->scx.weight;
	q->vtime = p->scx.dsq_vtime;
	q->enq_cnt = ++tctx->enq_cnt;
	bpf_ringbuf_submit(q, 0);
	__sync_fetch_and_add(&nr_queued, 1);
}

static long dispatch_one(struct bpf_dynptr *dynptr, void *ctx)
{
	const struct dispatched_task_ctx *d;
	struct task_ctx *tctx;
	struct task_struct *p;

	d = bpf_dynptr_data(dynptr, 0, sizeof(*d));
	if (!d)
		return 0;
	p = bpf_task_from_pid(d->pid);
	if (!p)
		return 0;
	tctx = bpf_task_storage_get(&tctxs, p, 0, 0);
	if (!tctx || tctx->enq_cnt > d->enq_cnt) {
		nr_stale++;
	} else if (d->cpu == RL_CPU_ANY) {
		scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, d->slice_ns, d->vtime, d->flags);
		nr_any++;
	} else {
		scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, d->slice_ns, d->vtime, d->flags);
		scx_bpf_kick_cpu(d->cpu, SCX_KICK_IDLE);
		nr_on_cpu++;
	}
	bpf_task_release(p);
	nr_drained++;
	return 0;
}

void BPF_STRUCT_OPS(urbsched_dispatch, s32 cpu, struct task_struct *prev)
{
	bpf_user_ringbuf_drain(&dispatched, dispatch_one, NULL, BPF_RB_NO_WAKEUP);
	if (pending() && scx_bpf_dsq_move_to_local(SCHED_DSQ))
		return;
	if (scx_bpf_dsq_move_to_local(SHARED_DSQ))
		return;
	if (prev && (prev->scx.flags & SCX_TASK_QUEUED) &&
	    (prev->pid != usersched_pid || pending())) {
		scx_bpf_task_set_slice(prev, slice_ns);
		nr_refills++;
	}
}

void BPF_STRUCT_OPS(urbsched_running, struct task_struct *p)
{
	struct task_ctx *tctx;

	if (p->pid == usersched_pid) {
		nr_usersched_runs++;
		return;
	}
	tctx = bpf_task_storage_get(&tctxs, p, 0, 0);
	if (tctx)
		tctx->start_ts = scx_bpf_now();
}

void BPF_STRUCT_OPS(urbsched_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx;

	if (p->pid == usersched_pid)
		return;
	tctx = bpf_task_storage_get(&tctxs, p, 0, 0);
	if (tctx) {
		tctx->stop_ts = scx_bpf_now();
		tctx->exec_runtime += tctx->stop_ts - tctx->start_ts;
	}
}

void BPF_STRUCT_OPS(urbsched_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = bpf_task_storage_get(&tctxs, p, 0, 0);

	if (tctx)
		tctx->exec_runtime = 0;
}

SEC("syscall")
int rs_select_cpu(struct task_cpu_arg *input)
{
	struct task_struct *p;
	s32 cpu;

	p = bpf_task_from_pid(input->pid);
	if (!p)
		return -EINVAL;
	bpf_rcu_read_lock();
	cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
	bpf_rcu_read_unlock();
	bpf_task_release(p);
	return cpu;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(urbsched_init)
{
	int err = scx_bpf_create_dsq(SHARED_DSQ, -1);

	return err ? err : scx_bpf_create_dsq(SCHED_DSQ, -1);
}

SCX_OPS_DEFINE(urbsched_ops,
	       .select_cpu = (void *)urbsched_select_cpu,
	       .enqueue = (void *)urbsched_enqueue,
	       .dispatch = (void *)urbsched_dispatch,
	       .running = (void *)urbsched_running,
	       .stopping = (void *)urbsched_stopping,
	       .runnable = (void *)urbsched_runnable,
	       .init_task = (void *)urbsched_init_task,
	       .init = (void *)urbsched_init,
	       .flags = SCX_OPS_ENQ_LAST,
	       .name = "urbsched");
