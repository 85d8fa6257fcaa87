/* upstream.bpf.c: a test policy organised as scx's Rust-hosted schedulers
 * (scx_bpfland, scx_flash) are: user space fills a primary CPU mask with a
 * SEC("syscall") program per CPU and an SMT sibling mask per CPU pair
 * before ops.init, and starts a timer after it; callbacks read the mask
 * under bpf_rcu_read_lock(), walk a shared DSQ with bpf_for_each(scx_dsq)
 * and move tasks with scx_bpf_dsq_move(), and use the newer cpumask and
 * run-queue kfuncs; user space runs a syscall program every 10 ms. Each feature bumps a counter the Go test checks. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define SHARED_DSQ 7

const volatile u32 nr_cpus = 1;		/* set by the recipe */
const volatile bool smt_enabled;	/* set by the recipe */

struct cpu_arg { s32 cpu_id; };
struct domain_arg { s32 cpu_id; s32 sibling_cpu_id; };

private(primary) struct bpf_cpumask __kptr *primary_cpumask;

struct cpu_ctx {
	struct bpf_cpumask __kptr *smt;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, u32);
	__type(value, struct cpu_ctx);
	__uint(max_entries, 1);
} cpu_ctx_stor SEC(".maps");

/* written only by recipes' [[map_fields]] (user space filling per-CPU
 * contexts with their proximity maps, as scx_layered's does) */
struct prox_map {
	u16 cpus[64];
	u32 core_end, llc_end, node_end, sys_end;
};

struct recipe_ctx {
	s32 cpu;
	u32 order[4];
	struct prox_map prox;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, u32);
	__type(value, struct recipe_ctx);
	__uint(max_entries, 1);
} recipe_ctxs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct recipe_ctx);
	__uint(max_entries, 8);
} node_ctxs SEC(".maps");

u64 nr_primary_calls, nr_sibling_calls, nr_timer_started, nr_init_primary_weight;
u64 nr_iter_seen, nr_moved, nr_peeked, nr_idle_curr, nr_curr_running, nr_rq_reads;
u64 nr_select_and, nr_subset, nr_distribute_bad, nr_reenq, sibling_of_cpu0 = 1000;

static int init_cpumask(struct bpf_cpumask **p)
{
	struct bpf_cpumask *mask;

	if (*p)
		return 0;
	mask = bpf_cpumask_create();
	if (!mask)
		return -ENOMEM;
	mask = bpf_kptr_xchg(p, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return *p ? 0 : -ENOMEM;
}

SEC("syscall")
int enable_primary_cpu(struct cpu_arg *input)
{
	struct bpf_cpumask *mask;
	int err;

	nr_primary_calls++;
	err = init_cpumask(&primary_cpumask);
	if (err)
		return err;
	bpf_rcu_read_lock();
	mask = primary_cpumask;
	if (mask) {
		if (input->cpu_id < 0)
			bpf_cpumask_clear(mask);
		else
			bpf_cpumask_set_cpu(input->cpu_id, mask);
	}
	bpf_rcu_read_unlock();
	return 0;
}

SEC("syscall")
int enable_sibling_cpu(struct domain_arg *input)
{
	struct cpu_ctx *cctx;
	u32 key = 0;
	int err;

	cctx = bpf_map_lookup_percpu_elem(&cpu_ctx_stor, &key, input->cpu_id);
	if (!cctx)
		return -ENOENT;
	err = init_cpumask(&cctx->smt);
	if (err)
		return err;
	bpf_rcu_read_lock();
	if (cctx->smt)
		bpf_cpumask_set_cpu(input->sibling_cpu_id, cctx->smt);
	bpf_rcu_read_unlock();
	if (input->cpu_id == 0)
		sibling_of_cpu0 = input->sibling_cpu_id;
	nr_sibling_calls++;
	return 0;
}

u64 nr_user_ticks, last_user_tick;

struct tick_arg { u64 tick; };

/* user space's periodic refresh (every 10 ms in the recipe) */
SEC("syscall")
int user_tick(struct tick_arg *input)
{
	nr_user_ticks++;
	last_user_tick = input->tick;
	return 0;
}

/* autoload off (libbpf's "?"): loaded only if the recipe turns it on;
 * optional_broken dereferences a map lookup without a NULL check, which the
 * verifier rejects if it is loaded */
u64 nr_optional_ticks;

SEC("?syscall")
int optional_tick(struct tick_arg *input)
{
	nr_optional_ticks += input->tick;
	return 0;
}

SEC("?syscall")
int optional_broken(struct tick_arg *input)
{
	u32 key = 0;
	u64 *v = bpf_map_lookup_elem(&cpu_ctx_stor, &key);

	return *v != input->tick;
}

/* tracing programs, as every scx object has one (scx_lib_init_probe):
 * schedsim has nothing to attach them to and skips them */
SEC("fentry/bpf_scx_reg")
int up_fentry(void *ctx)
{
	return 0;
}

SEC("?tp_btf/sched_switch")
int up_optional_tp(void *ctx)
{
	return 0;
}

SEC("syscall")
int start_timer(struct cpu_arg *input)
{
	nr_timer_started = input->cpu_id + 1;
	return 0;
}

s32 BPF_STRUCT_OPS(up_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	const struct cpumask *online = scx_bpf_get_online_cpumask();
	s32 cpu = -1;

	bpf_rcu_read_lock();
	if (primary_cpumask) {
		const struct cpumask *primary = cast_mask(primary_cpumask);

		if (bpf_cpumask_subset(primary, online) && bpf_cpumask_full(primary))
			nr_subset++;
		cpu = scx_bpf_select_cpu_and(p, prev_cpu, wake_flags, primary, 0);
		if (cpu >= 0)
			nr_select_and++;
		if (bpf_cpumask_any_and_distribute(primary, p->cpus_ptr) >= nr_cpus)
			nr_distribute_bad++;
	}
	bpf_rcu_read_unlock();
	scx_bpf_put_cpumask(online);
	if (cpu >= 0) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
		return cpu;
	}
	return prev_cpu;
}

void BPF_STRUCT_OPS(up_enqueue, struct task_struct *p, u64 enq_flags)
{
	if (enq_flags & SCX_ENQ_REENQ)
		nr_reenq++;
	scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, SCX_SLICE_DFL, p->scx.dsq_vtime, enq_flags);
}

void BPF_STRUCT_OPS(up_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_struct *p;

	bpf_for_each(scx_dsq, p, SHARED_DSQ, 0) {
		nr_iter_seen++;
		if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
			continue;
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0)) {
			nr_moved++;
			break;
		}
	}
}

void BPF_STRUCT_OPS(up_tick, struct task_struct *p)
{
	s32 cpu = scx_bpf_task_cpu(p), other = (cpu + 1) % nr_cpus;
	struct task_struct *curr;
	struct rq *rq;

	if (scx_bpf_dsq_peek(SHARED_DSQ))
		nr_peeked++;
	bpf_rcu_read_lock();
	curr = scx_bpf_cpu_curr(other);
	if (curr && curr->pid == 0)
		nr_idle_curr++;
	curr = scx_bpf_cpu_curr(cpu);
	if (curr == p)
		nr_curr_running++;
	bpf_rcu_read_unlock();
	rq = scx_bpf_cpu_rq(cpu);
	if (rq && rq->curr == p && rq->clock_task == scx_bpf_now())
		nr_rq_reads++;
	scx_bpf_cpuperf_set(cpu, SCX_CPUPERF_ONE / 2);
	if (scx_bpf_cpuperf_cur(cpu) != SCX_CPUPERF_ONE / 2)
		scx_bpf_error("cpuperf_cur %u after set", scx_bpf_cpuperf_cur(cpu));
}

s32 BPF_STRUCT_OPS_SLEEPABLE(up_init)
{
	struct bpf_cpumask *mask;

	/* a sleepable program reads a kptr inside an RCU section, as scx's
	 * schedulers do (bpfland_init) */
	bpf_rcu_read_lock();
	mask = primary_cpumask;
	if (mask)
		nr_init_primary_weight = bpf_cpumask_weight(cast_mask(mask));
	bpf_rcu_read_unlock();
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SCX_OPS_DEFINE(upstream_ops,
	       .select_cpu = (void *)up_select_cpu,
	       .enqueue = (void *)up_enqueue,
	       .dispatch = (void *)up_dispatch,
	       .tick = (void *)up_tick,
	       .init = (void *)up_init,
	       .name = "upstream");
