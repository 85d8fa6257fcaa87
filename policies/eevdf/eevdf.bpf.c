//go:build ignore

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eevdf: Earliest Eligible Virtual Deadline First, as Linux's CFS
 * implements it in kernel/sched/fair.c (v6.10; see docs/eevdf.md), as a
 * sched_ext policy.
 *
 * One runqueue per CPU, each an element of the array map `rqs`: a
 * bpf_spin_lock, two red-black trees of allocated nodes and the runqueue's
 * sums (fair.c's struct cfs_rq):
 *
 *   zero_vruntime  v0, the runqueue's reference point (kept at V)
 *   avg_vruntime   \Sum (v_i - v0) * w_i  over the queued entities
 *   avg_load       \Sum w_i               over the queued entities
 *   curr           the running entity, outside the trees and the sums
 *
 * so that V = v0 + (avg_vruntime + (v_curr - v0) * w_curr) / W.
 *
 * The trees: fair.c keeps one tree sorted by deadline and augmented with
 * each subtree's minimum vruntime; BPF trees cannot be augmented (the
 * kernel's rotations would not update the cached minima), so a runqueue
 * has two: dl_tree sorted by (deadline, seq) and vr_tree sorted by
 * (vruntime, seq), seq being the runqueue's insertion counter (fair.c
 * breaks deadline ties by insertion order too). Every queued entity is in
 * exactly one of them. Because eligibility is monotone in vruntime, the
 * eligible entities of vr_tree are a prefix of it. pick_eevdf() first moves
 * that prefix to dl_tree, then moves dl_tree's leftmost entities to vr_tree
 * while they are not eligible; dl_tree's leftmost is then the eligible
 * entity with the earliest deadline. An entity moves only when its
 * eligibility changed, so a pick costs O(log n) amortised, never a scan.
 *
 * sched_ext mapping (callbacks, in the order the core calls them):
 *
 *   select_cpu  scx_bpf_select_cpu_dfl(): prev_cpu if idle, else an idle
 *               CPU, else prev_cpu. No direct dispatch: every task goes
 *               through its runqueue. A chosen idle CPU leaves idle_cpus.
 *   runnable    enqueue_entity() minus the tree insertion: update_curr(),
 *               place_entity() (PLACE_LAG, PLACE_DEADLINE_INITIAL).
 *   enqueue     __enqueue_entity() and check_preempt_wakeup_fair(): kick
 *               the CPU with SCX_KICK_PREEMPT if the woken task is now the
 *               runqueue's pick. A task put back by dispatch is already in.
 *               If the task waits (the runqueue is busy), claim an idle
 *               CPU it may run on and kick it with SCX_KICK_IDLE: it pulls.
 *   dispatch    pick_next_task_fair(): update_curr(), pick_eevdf() (with
 *               RUN_TO_PARITY); if curr stays, refill its slice; else put
 *               curr back in the tree and insert the pick into the local
 *               DSQ. An empty runqueue pulls from the busiest one first
 *               (newidle balance), under both runqueue locks; if nothing
 *               comes, the CPU joins idle_cpus.
 *   tick        update_curr(); if the request is done (deadline reached)
 *               and others wait, zero the slice: the core reschedules.
 *               Periodic balance; with tasks waiting, kick an idle CPU
 *               (nohz_balancer_kick()).
 *   stopping    update_curr() of curr.
 *   quiescent   dequeue_entity(): update_entity_lag(), leave the runqueue.
 *   set_weight  reweight_entity() / reweight_eevdf().
 *
 * Slices given to the core are SCX_SLICE_INF: preemption is decided here
 * (tick, wakeup, deadline), not by the core's slice countdown.
 *
 * The Go model in model_test.go makes the same decisions with the
 * same integer arithmetic; the tests compare the two by schedule hash.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* A loop condition the verifier bounds by the runtime (may_goto; the
 * kernel's bpf_experimental.h has it). */
#ifndef can_loop
#define can_loop							\
	({ __label__ l_break, l_continue;				\
	bool ret = true;						\
	asm volatile goto("may_goto %l[l_break]" :::: l_break);	\
	goto l_continue;						\
	l_break: ret = false;						\
	l_continue:;							\
	ret;								\
	})
#endif

#define MAX_CPUS	512
#define MAX_TASKS	16384
#define NICE_0_LOAD	1024
#define MAX_RT_PRIO	100
/* Bounds the tree walks (never reached: a walk moves each node once). The
 * counter also tells the verifier's loop detection that iterations
 * differ. */
#define MAX_WALK	(1 << 20)

/* Parameters ([policy.params]). */

/* sysctl_sched_base_slice before scaling: the request size r. fair.c's is
 * 0.75 ms; scaled by 1 + ilog2(min(ncpus, 8)) as update_sysctl() does. */
const volatile u64 base_slice_ns = 700000;
/* TICK_NSEC of the simulated machine (1e9 / hz), used by the lag clamp. */
const volatile u64 tick_ns = 1000000;
/* Scheduler features (kernel/sched/features.h), all on by default. */
const volatile bool run_to_parity = true;
const volatile bool place_lag = true;
const volatile bool wakeup_preemption = true;
const volatile bool newidle_balance = true;
/* Idle CPUs are tracked (idle_cpus) and kicked to pull when tasks wait
 * elsewhere (needs newidle_balance). */
const volatile bool idle_kick = true;
/* Periodic balance every balance_ticks ticks of a busy CPU (0: never). */
const volatile u32 balance_ticks = 4;
/* DELAY_DEQUEUE and DELAY_ZERO (fair.c 6.12): a task that goes to sleep
 * while not eligible stays on its runqueue, competing, until it is picked
 * (then it leaves, its positive lag zeroed) or wakes up (then it stays
 * where it is). Off by default: the 6.10 behaviour. */
const volatile bool delay_dequeue = false;
/* PLACE_REL_DEADLINE (fair.c 6.12): a task migrated by the balancer keeps
 * its deadline relative to its vruntime instead of a new request. */
const volatile bool place_rel_deadline = false;

/* kernel/sched/core.c sched_prio_to_weight[], indexed by static_prio - 100 */
static const u32 prio_to_weight[40] = {
	/* -20 */ 88761, 71755, 56483, 46273, 36291,
	/* -15 */ 29154, 23254, 18705, 14949, 11916,
	/* -10 */ 9548, 7620, 6100, 4904, 3906,
	/*  -5 */ 3121, 2501, 1991, 1586, 1277,
	/*   0 */ 1024, 820, 655, 526, 423,
	/*   5 */ 335, 272, 215, 172, 137,
	/*  10 */ 110, 87, 70, 56, 45,
	/*  15 */ 36, 29, 23, 18, 15,
};

/* The scaled base slice, the CPU count and the words of a CPU bitmap,
 * set by ops.init. */
u64 sysctl_base_slice;
u32 nr_cpus;
u32 nr_words;

#define NR_WORDS	(MAX_CPUS / 64)
/* The word of a CPU bitmap holding cpu (masked: visibly in bounds). */
#define CPU_WORD(cpu)	(((u32)(cpu) >> 6) & (NR_WORDS - 1))
#define CPU_BIT(cpu)	(1ULL << ((cpu) & 63))

/*
 * CPU bitmaps shared by all CPUs, changed with atomic operations:
 *
 *   idle_cpus   CPUs whose ops.dispatch found nothing to run or pull
 *               (fair.c's nohz.idle_cpus_mask): set when a CPU goes idle,
 *               cleared when it picks a task or is claimed by a kick.
 *               The core's idle mask cannot serve: a CPU that
 *               scx_bpf_pick_idle_cpu() or scx_bpf_select_cpu_dfl() claims
 *               and that then finds nothing stays idle with its bit clear
 *               (the core sets it only on a task-to-idle switch).
 *   overloaded  runqueues with a waiting entity (rq_waiting() > 0), kept
 *               in step with rq->overloaded under the runqueue's lock: the
 *               balancer's source candidates, without scanning every
 *               runqueue.
 */
u64 idle_cpus[NR_WORDS];
u64 overloaded[NR_WORDS];

/* Counters, for tests and benchmarks. */
struct eevdf_stats {
	u64 picks;		/* dispatches that chose a queued entity */
	u64 keeps;		/* dispatches that kept curr */
	u64 parity_keeps;	/* ... of which by RUN_TO_PARITY */
	u64 tick_preempts;	/* ticks that ended a request with others waiting */
	u64 wakeup_preempts;	/* kicks of a CPU for a woken task */
	u64 remote_preempts;	/* kicks after a remote update_curr() */
	u64 pulls;		/* tasks migrated by newidle balance */
	u64 balance_pulls;	/* tasks migrated by periodic balance */
	u64 balance_preempts;	/* ... that preempted the puller's curr */
	u64 idle_kicks;		/* idle CPUs kicked by an enqueue onto a busy runqueue */
	u64 tick_kicks;		/* ... by the tick of a CPU with waiting tasks */
	u64 went_idle;		/* dispatches that left the CPU idle */
	u64 idle_waiting;	/* ... while another runqueue had a waiting task */
	u64 pinned;		/* pulls that found src's choice may not run here */
	u64 in_flight;		/* dispatches that found curr picked but not yet running */
	u64 enqueue_picked;	/* enqueues of a task another CPU had picked meanwhile */
	u64 moves;		/* entities moved between dl_tree and vr_tree */
	u64 stale;		/* stale nodes dropped */
	u64 delayed;		/* sleeps delayed (DELAY_DEQUEUE) */
};
struct eevdf_stats stats;

#define STAT_INC(f) __sync_fetch_and_add(&stats.f, 1)

/* Per-task state (fair.c's struct sched_entity), keyed by pid. */
enum {
	SE_NONE,	/* not on a runqueue (new, sleeping) */
	SE_PLACED,	/* runnable: placed by ops.runnable, not yet in a tree */
	SE_QUEUED,	/* waiting in a tree of its runqueue */
	SE_CURR,	/* picked: the runqueue's curr */
	SE_DELAYED,	/* asleep but still in a tree (DELAY_DEQUEUE) */
};

#define SE_NEW		1	/* never ran: ENQUEUE_INITIAL placement */
#define SE_REQUEUED	2	/* woke while delayed: in place, ops.enqueue checks preemption */

#ifndef PF_EXITING
#define PF_EXITING	0x00000004
#endif

struct task_ctx {
	/* Exported (docs/eevdf.md): Go reads these five first. */
	u64 vruntime;	/* v_i, ns of virtual time */
	u64 deadline;	/* vd_i = v_i + r_i * 1024 / w_i when requested */
	s64 lag;	/* V - v_i, virtual ns: the saved vlag when not on a
			 * runqueue, else as of the last update of this task */
	u32 weight;	/* w_i: sched_prio_to_weight[static_prio - 100] */
	s32 cpu;	/* the runqueue it is on, or was last on */
	/* Internal. */
	u64 slice;	/* r_i, ns */
	u64 exec_start;
	u64 sum_exec;	/* ns charged by update_curr() */
	s64 vlag;	/* fair.c se->vlag */
	u64 picked_deadline; /* RUN_TO_PARITY: deadline when picked */
	u64 seq;	/* seq of the node holding it (SE_QUEUED) */
	u32 state;
	u32 flags;
	u32 on_cpu;	/* between ops.running and ops.stopping */
	u32 pad;
	u64 cpus[MAX_CPUS / 64]; /* copy of p->cpus_ptr, for the balancer */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_TASKS);
	__type(key, s32);
	__type(value, struct task_ctx);
} tasks SEC(".maps");

/* A queued entity: a copy of its keys, for the trees' order. */
struct enode {
	struct bpf_rb_node rb;
	u64 deadline;
	u64 vruntime;
	u64 seq;
	s32 pid;
	u32 pad;
};

struct eevdf_rq {
	struct bpf_spin_lock lock;
	struct bpf_rb_root dl_tree __contains(enode, rb);
	struct bpf_rb_root vr_tree __contains(enode, rb);
	u64 zero_vruntime;
	s64 avg_vruntime;
	s64 avg_load;
	u64 seq;
	u64 curr_vruntime;	/* curr's vruntime and weight (weight 0: no */
	u32 curr_weight;	/* curr), kept in step with its task_ctx */
	s32 curr;		/* pid of curr, 0 if none */
	u32 nr_running;		/* entities on the runqueue, curr included */
	u32 nr_queued;		/* entities in the trees */
	u32 nr_stale;		/* nodes of entities that left (dropped lazily) */
	u32 resched;		/* curr was told to reschedule */
	u32 ticks;		/* ticks seen, for the periodic balance */
	u32 overloaded;		/* rq_waiting() > 0: this CPU's bit in overloaded */
	u32 skip_q;		/* newidle redo: skip runqueues ranked up to */
	s32 skip_cpu;		/* (skip_q, skip_cpu - 1); skip_cpu 0: none */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__type(key, u32);
	__type(value, struct eevdf_rq);
} rqs SEC(".maps");

/* ------------------------------------------------------------------------
 * Lookups and small helpers
 * ------------------------------------------------------------------------ */

static __always_inline struct task_ctx *lookup_ctx(s32 pid)
{
	return bpf_map_lookup_elem(&tasks, &pid);
}

static __always_inline struct eevdf_rq *lookup_rq(s32 cpu)
{
	u32 key = cpu;

	return bpf_map_lookup_elem(&rqs, &key);
}

static __always_inline u32 prio_weight(s32 static_prio)
{
	s32 idx = static_prio - MAX_RT_PRIO;

	if (idx < 0 || idx >= 40)
		return NICE_0_LOAD;
	return prio_to_weight[idx];
}

/* calc_delta_fair(): delta * NICE_0_LOAD / w (fair.c approximates the
 * division with a multiply and shift; we divide). */
static __always_inline u64 calc_delta_fair(u64 delta, u32 weight)
{
	if (weight == NICE_0_LOAD || !weight)
		return delta;
	return delta * NICE_0_LOAD / weight;
}

static bool dl_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	struct enode *x = container_of(a, struct enode, rb);
	struct enode *y = container_of(b, struct enode, rb);
	s64 d = (s64)(x->deadline - y->deadline);

	return d < 0 || (d == 0 && x->seq < y->seq);
}

static bool vr_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	struct enode *x = container_of(a, struct enode, rb);
	struct enode *y = container_of(b, struct enode, rb);
	s64 d = (s64)(x->vruntime - y->vruntime);

	return d < 0 || (d == 0 && x->seq < y->seq);
}

/* ------------------------------------------------------------------------
 * The runqueue's virtual time (fair.c: avg_vruntime() and friends). All
 * under the runqueue's lock; curr is the runqueue's curr (or NULL).
 * ------------------------------------------------------------------------ */

static __always_inline u64 avg_vruntime(struct eevdf_rq *rq)
{
	s64 avg = rq->avg_vruntime, load = rq->avg_load;

	/* curr (a weight of 0 if there is none) */
	avg += (s64)(rq->curr_vruntime - rq->zero_vruntime) * (s64)rq->curr_weight;
	load += rq->curr_weight;
	if (load) {
		/* sign flips effective floor / ceiling */
		if (avg < 0)
			avg -= load - 1;
		avg = avg / load;
	}
	return rq->zero_vruntime + avg;
}

/* lag_i >= 0 <=> V >= v_i, without the division's rounding. */
static __always_inline bool vruntime_eligible(struct eevdf_rq *rq, u64 vruntime)
{
	s64 avg = rq->avg_vruntime, load = rq->avg_load;

	avg += (s64)(rq->curr_vruntime - rq->zero_vruntime) * (s64)rq->curr_weight;
	load += rq->curr_weight;
	return avg >= (s64)(vruntime - rq->zero_vruntime) * load;
}

/* Keep v0 at V (commit 79f3f9bedd14, "sched/eevdf: Fix min_vruntime vs
 * avg_vruntime"): the sums stay small without a tree-wide minimum. */
static __always_inline void update_zero_vruntime(struct eevdf_rq *rq)
{
	u64 v = avg_vruntime(rq);
	s64 delta = (s64)(v - rq->zero_vruntime);

	rq->avg_vruntime -= rq->avg_load * delta;
	rq->zero_vruntime = v;
}

static __always_inline void avg_vruntime_add(struct eevdf_rq *rq, struct task_ctx *se)
{
	rq->avg_vruntime += (s64)(se->vruntime - rq->zero_vruntime) * (s64)se->weight;
	rq->avg_load += se->weight;
}

static __always_inline void avg_vruntime_sub(struct eevdf_rq *rq, struct task_ctx *se)
{
	rq->avg_vruntime -= (s64)(se->vruntime - rq->zero_vruntime) * (s64)se->weight;
	rq->avg_load -= se->weight;
}

static __always_inline void set_curr(struct eevdf_rq *rq, s32 pid, struct task_ctx *c)
{
	rq->curr = pid;
	rq->curr_vruntime = c->vruntime;
	rq->curr_weight = c->weight;
}

static __always_inline void clear_curr(struct eevdf_rq *rq)
{
	rq->curr = 0;
	rq->curr_vruntime = 0;
	rq->curr_weight = 0;
}

/* update_curr() + update_deadline(): charge curr for the time it ran.
 * Returns whether curr must reschedule (its request is done and others
 * wait). */
static __always_inline bool update_curr(struct eevdf_rq *rq)
{
	struct task_ctx *curr;
	bool resched = false;
	u64 now;
	s64 delta;

	if (!rq->curr)
		return false;
	curr = lookup_ctx(rq->curr);
	if (!curr)
		return false;
	now = scx_bpf_now();
	delta = (s64)(now - curr->exec_start);
	if (delta <= 0)
		return false;
	curr->exec_start = now;
	curr->sum_exec += delta;
	curr->vruntime += calc_delta_fair(delta, curr->weight);
	rq->curr_vruntime = curr->vruntime;
	if ((s64)(curr->vruntime - curr->deadline) >= 0) {
		curr->slice = sysctl_base_slice;
		curr->deadline = curr->vruntime + calc_delta_fair(curr->slice, curr->weight);
		resched = rq->nr_running > 1;
	}
	curr->lag = (s64)(avg_vruntime(rq) - curr->vruntime);
	return resched;
}

/* update_entity_lag(): save V - v_i at dequeue, clamped to the request
 * (twice the slice, at least a tick) in virtual time. */
static __always_inline void update_entity_lag(struct eevdf_rq *rq, struct task_ctx *se)
{
	s64 lag = (s64)(avg_vruntime(rq) - se->vruntime);
	s64 limit = calc_delta_fair(max(2 * se->slice, tick_ns), se->weight);

	if (lag > limit)
		lag = limit;
	else if (lag < -limit)
		lag = -limit;
	se->vlag = lag;
	se->lag = lag;
}

/* place_entity(): v_i = V - lag, the lag inflated by (W + w_i) / W so
 * that it survives the entity's own effect on V (PLACE_LAG); a new task's
 * first deadline is half a request away (PLACE_DEADLINE_INITIAL). */
static __always_inline void place_entity(struct eevdf_rq *rq, struct task_ctx *se, bool initial)
{
	u64 vruntime = avg_vruntime(rq), vslice;
	s64 lag = 0, load;

	se->slice = sysctl_base_slice;
	vslice = calc_delta_fair(se->slice, se->weight);
	if (place_lag && rq->nr_running) {
		load = rq->avg_load + rq->curr_weight;
		lag = se->vlag;
		lag *= load + se->weight;
		if (!load)
			load = 1;
		lag = lag / load;
	}
	se->vruntime = vruntime - lag;
	se->lag = lag;
	if (initial)
		vslice /= 2;
	se->deadline = se->vruntime + vslice;
}

/* __enqueue_entity(): into the sums and dl_tree, in node n (consumed). */
static __always_inline void enqueue_tree(struct eevdf_rq *rq, struct task_ctx *se, s32 pid, struct enode *n)
{
	avg_vruntime_add(rq, se);
	update_zero_vruntime(rq);
	rq->seq++;
	se->seq = rq->seq;
	se->state = SE_QUEUED;
	n->deadline = se->deadline;
	n->vruntime = se->vruntime;
	n->seq = se->seq;
	n->pid = pid;
	bpf_rbtree_add(&rq->dl_tree, &n->rb, dl_less);
	rq->nr_queued++;
}

/* An entity leaves the sums (its node is removed by the caller, or left
 * behind as stale). */
static __always_inline void dequeue_sums(struct eevdf_rq *rq, struct task_ctx *se)
{
	avg_vruntime_sub(rq, se);
	update_zero_vruntime(rq);
	rq->nr_queued--;
}

/* Whether node (pid, seq) no longer holds its entity (the entity left the
 * runqueue while queued, and its node is dropped lazily). */
static __always_inline bool node_stale(s32 cpu, s32 pid, u64 seq)
{
	struct task_ctx *c = lookup_ctx(pid);

	return !c || (c->state != SE_QUEUED && c->state != SE_DELAYED) || c->cpu != cpu || c->seq != seq;
}

/* ------------------------------------------------------------------------
 * CPU bitmaps
 * ------------------------------------------------------------------------ */

/* de Bruijn sequence 0x03f79d71b4cb0a89: the index of a single bit. */
static const u8 debruijn_idx[64] = {
	0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
};

static __always_inline u32 bit_index(u64 bit)
{
	return debruijn_idx[((bit * 0x03f79d71b4cb0a89ULL) >> 58) & 63];
}

/* The entities of rq that wait behind another: all queued ones if the
 * runqueue has a curr, else all but the one its CPU (rescheduling: an
 * enqueue onto a CPU without curr reschedules it) is about to pick. The
 * kernel's balancer likewise leaves a runqueue with nr_running <= 1
 * alone. */
static __always_inline u32 rq_waiting(struct eevdf_rq *rq)
{
	u32 n = rq->nr_queued;

	if (n && !rq->curr)
		n--;
	return n;
}

/* After a change of rq's curr or queued entities, under its lock. */
static __always_inline void sync_overloaded(struct eevdf_rq *rq, s32 cpu)
{
	u32 want = rq_waiting(rq) > 0;

	if (want == rq->overloaded)
		return;
	rq->overloaded = want;
	if (want)
		__sync_fetch_and_or(&overloaded[CPU_WORD(cpu)], CPU_BIT(cpu));
	else
		__sync_fetch_and_and(&overloaded[CPU_WORD(cpu)], ~CPU_BIT(cpu));
}

static __always_inline bool kick_idle(void)
{
	return newidle_balance && idle_kick;
}

/* nohz_balance_enter_idle() / nohz_balance_exit_idle() */
static __always_inline void idle_enter(s32 cpu)
{
	if (!(idle_cpus[CPU_WORD(cpu)] & CPU_BIT(cpu)))
		__sync_fetch_and_or(&idle_cpus[CPU_WORD(cpu)], CPU_BIT(cpu));
}

static __always_inline void idle_exit(s32 cpu)
{
	if (idle_cpus[CPU_WORD(cpu)] & CPU_BIT(cpu))
		__sync_fetch_and_and(&idle_cpus[CPU_WORD(cpu)], ~CPU_BIT(cpu));
}

/* The lowest idle CPU that c's task may run on (any, if c is NULL), taken
 * out of idle_cpus (so that two kicks do not pick the same CPU), or -1.
 * fair.c's find_new_ilb() takes the first idle CPU as well. */
static __always_inline s32 claim_idle(struct task_ctx *c)
{
	u64 bits, bit, old;
	u32 w;

	for (w = 0; w < nr_words && can_loop; w++) {
		/* retries: bounded by can_loop alone, no counter whose value
		 * the verifier would have to keep apart on every round */
		while (can_loop) {
			bits = idle_cpus[w & (NR_WORDS - 1)];
			if (c)
				bits &= c->cpus[w & (NR_WORDS - 1)];
			if (!bits)
				break;
			bit = bits & -bits;
			old = __sync_fetch_and_and(&idle_cpus[w & (NR_WORDS - 1)], ~bit);
			if (old & bit)
				return w * 64 + bit_index(bit);
			/* another CPU claimed it first: look again */
		}
	}
	return -1;
}

/* Whether a runqueue other than cpu's has a waiting entity. */
static __always_inline bool any_waiting(s32 cpu)
{
	u64 bits;
	u32 w;

	for (w = 0; w < nr_words && can_loop; w++) {
		bits = overloaded[w & (NR_WORDS - 1)];
		if (w == CPU_WORD(cpu))
			bits &= ~CPU_BIT(cpu);
		if (bits)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------------
 * pick_eevdf()
 * ------------------------------------------------------------------------ */

/*
 * Bring the trees to the state where dl_tree's leftmost node is the
 * eligible entity with the earliest deadline, if there is an eligible
 * entity in the trees; if not, dl_tree is empty. Under rq->lock.
 */
static __always_inline void normalize(struct eevdf_rq *rq, s32 cpu)
{
	struct bpf_rb_node *rb;
	struct enode *n;
	u32 i;

	/* vr_tree's eligible prefix to dl_tree. */
	while (can_loop) {
		rb = bpf_rbtree_first(&rq->vr_tree);
		if (!rb)
			break;
		n = container_of(rb, struct enode, rb);
		if (rq->nr_stale && node_stale(cpu, n->pid, n->seq)) {
			rb = bpf_rbtree_remove(&rq->vr_tree, rb);
			rq->nr_stale--;
			STAT_INC(stale);
			if (rb)
				bpf_obj_drop(container_of(rb, struct enode, rb));
			continue;
		}
		if (!vruntime_eligible(rq, n->vruntime))
			break;
		rb = bpf_rbtree_remove(&rq->vr_tree, rb);
		if (!rb)
			break;
		bpf_rbtree_add(&rq->dl_tree, rb, dl_less);
		STAT_INC(moves);
	}
	/* dl_tree's ineligible leftmost nodes to vr_tree. */
	while (can_loop) {
		rb = bpf_rbtree_first(&rq->dl_tree);
		if (!rb)
			break;
		n = container_of(rb, struct enode, rb);
		if (rq->nr_stale && node_stale(cpu, n->pid, n->seq)) {
			rb = bpf_rbtree_remove(&rq->dl_tree, rb);
			rq->nr_stale--;
			STAT_INC(stale);
			if (rb)
				bpf_obj_drop(container_of(rb, struct enode, rb));
			continue;
		}
		if (vruntime_eligible(rq, n->vruntime))
			break;
		rb = bpf_rbtree_remove(&rq->dl_tree, rb);
		if (!rb)
			break;
		bpf_rbtree_add(&rq->vr_tree, rb, vr_less);
		STAT_INC(moves);
	}
}

/* Make dl_tree non-empty if vr_tree holds a live node: its leftmost live
 * node (the smallest vruntime) moves over. */
static __always_inline void fill_dl(struct eevdf_rq *rq, s32 cpu)
{
	struct bpf_rb_node *rb;
	struct enode *n;
	u32 i;

	if (bpf_rbtree_first(&rq->dl_tree))
		return;
	while (can_loop) {
		rb = bpf_rbtree_first(&rq->vr_tree);
		if (!rb)
			return;
		n = container_of(rb, struct enode, rb);
		if (rq->nr_stale && node_stale(cpu, n->pid, n->seq)) {
			rb = bpf_rbtree_remove(&rq->vr_tree, rb);
			rq->nr_stale--;
			STAT_INC(stale);
			if (rb)
				bpf_obj_drop(container_of(rb, struct enode, rb));
			continue;
		}
		rb = bpf_rbtree_remove(&rq->vr_tree, rb);
		if (rb) {
			bpf_rbtree_add(&rq->dl_tree, rb, dl_less);
			STAT_INC(moves);
		}
		return;
	}
}

/* The pid of dl_tree's leftmost live node, or 0; an empty dl_tree is
 * filled from vr_tree first. */
static __always_inline s32 dl_first_pid(struct eevdf_rq *rq, s32 cpu)
{
	struct bpf_rb_node *rb;
	struct enode *n;
	u32 i;

	while (can_loop) {
		rb = bpf_rbtree_first(&rq->dl_tree);
		if (!rb) {
			fill_dl(rq, cpu);
			rb = bpf_rbtree_first(&rq->dl_tree);
			if (!rb)
				return 0;
		}
		n = container_of(rb, struct enode, rb);
		if (!rq->nr_stale || !node_stale(cpu, n->pid, n->seq))
			return n->pid;
		rb = bpf_rbtree_remove(&rq->dl_tree, rb);
		rq->nr_stale--;
		STAT_INC(stale);
		if (rb)
			bpf_obj_drop(container_of(rb, struct enode, rb));
	}
	return 0;
}

/*
 * pick_eevdf() with curr = the runqueue's curr: the pid of the entity to
 * run, 0 if the runqueue is empty. If it is not curr, it is dl_tree's
 * leftmost node. Under rq->lock.
 */
static __always_inline s32 pick_eevdf(struct eevdf_rq *rq, s32 cpu, bool *parity)
{
	struct bpf_rb_node *rb;
	struct task_ctx *curr = NULL;
	u64 curr_deadline = 0;
	bool cand = false;

	*parity = false;
	/* An empty runqueue (its stale nodes wait for the next walk). */
	if (!rq->nr_running)
		return 0;
	if (rq->curr) {
		curr = lookup_ctx(rq->curr);
		if (!curr)
			return 0;
		curr_deadline = curr->deadline;
		cand = vruntime_eligible(rq, curr->vruntime);
		/* Once selected, run a task until it either becomes
		 * non-eligible or until it gets a new slice. */
		if (cand && run_to_parity && curr->picked_deadline == curr_deadline && rq->nr_running > 1) {
			*parity = true;
			return rq->curr;
		}
	}
	if (rq->nr_running == 1) {
		if (rq->curr)
			return rq->curr;
		return dl_first_pid(rq, cpu);
	}
	normalize(rq, cpu);
	rb = bpf_rbtree_first(&rq->dl_tree);
	if (!rb) {
		/* No eligible entity in the trees: curr is the eligible one.
		 * (Otherwise, defensively, the smallest vruntime.) */
		if (cand)
			return rq->curr;
		return dl_first_pid(rq, cpu);
	}
	if (cand && (s64)(curr_deadline - container_of(rb, struct enode, rb)->deadline) < 0)
		return rq->curr;
	return container_of(rb, struct enode, rb)->pid;
}

/* ------------------------------------------------------------------------
 * Balancing
 * ------------------------------------------------------------------------ */

static __always_inline bool task_allowed(struct task_ctx *c, s32 cpu)
{
	if (cpu < 0 || cpu >= MAX_CPUS)
		return false;
	/* the mask keeps the index visibly in bounds for the verifier */
	return (c->cpus[((u32)cpu >> 6) & (MAX_CPUS / 64 - 1)] >> (cpu & 63)) & 1;
}

/*
 * pull_task(): move one waiting task from the busiest runqueue to this CPU's, holding
 * both runqueue locks (taken in CPU order), as the kernel's load balancer
 * does with detach_task()/attach_task(). The candidates are the
 * runqueues with a waiting entity (rq_waiting(), the overloaded bitmap),
 * ties going to the lowest CPU:
 *
 *   newidle   this runqueue is empty; the busiest is the one with the most
 *             waiting entities (ops.dispatch found nothing to run). A
 *             runqueue whose only entity is about to run on its CPU is
 *             left alone: taking it would leave that CPU, which was
 *             claimed for it, idle outside the core's idle mask.
 *   periodic  every balance_ticks ticks of a busy CPU; the busiest is the
 *             one with the most tasks, if it has at least two more
 *
 * The task is src's EEVDF choice among its waiting tasks (the eligible one
 * with the earliest deadline, else the one with the smallest vruntime). If
 * it may not run here, nothing moves; ops.dispatch then tries the next
 * busiest runqueue (the kernel's LBF_ALL_PINNED redo) in a new round: it
 * remembers the rank of the pinned one in rq->skip_q/skip_cpu and kicks
 * its own CPU (a loop here would be too much for the verifier). The task
 * leaves src with its lag saved (dequeue_entity) and is placed on this
 * runqueue with it (enqueue_entity), then may preempt this CPU's curr
 * (wakeup_preempt); *preempt says whether this CPU's curr must
 * reschedule.
 */

enum { PULL_OK, PULL_PINNED, PULL_FAIL, PULL_RESULT = 3, PULL_PREEMPT = 4 };

/* The busiest candidate ranked after (prev_q, prev_cpu) in the order
 * (q descending, CPU ascending), or -1. Without locks: try_pull()
 * re-checks under them. */
static __always_inline s32 find_busiest(s32 cpu, bool periodic, u32 prev_q, s32 prev_cpu, u32 *bestp)
{
	struct eevdf_rq *src;
	u32 best = 0, q, w = 0;
	s32 src_cpu = -1, c;
	u64 bits = overloaded[0], bit;

	/* each round takes a bit or a word: bounded, and by can_loop */
	while (can_loop) {
		if (!bits) {
			if (++w >= nr_words)
				break;
			bits = overloaded[w & (NR_WORDS - 1)];
			continue;
		}
		bit = bits & -bits;
		bits ^= bit;
		c = w * 64 + bit_index(bit);
		if (c == cpu)
			continue;
		src = lookup_rq(c);
		if (!src)
			break;
		q = rq_waiting(src);
		if (!q)
			continue;
		if (periodic)
			q = src->nr_running;
		if (q > prev_q || (q == prev_q && c <= prev_cpu))
			continue;
		if (q > best) {
			best = q;
			src_cpu = c;
		}
	}
	*bestp = best;
	return src_cpu;
}

/* A global function (non-static, __noinline): the verifier checks it once
 * on its own instead of at every state of its callers, which keeps
 * dispatch and tick far below the 100 ms verification budget. It returns a
 * PULL_* result, with PULL_PREEMPT set when this CPU's curr must
 * reschedule. */
__noinline int try_pull(s32 cpu, s32 src_cpu, bool periodic)
{
	bool preempt = false;
	struct eevdf_rq *dst, *src, *first, *second;
	struct task_ctx *x;
	struct bpf_rb_node *rb;
	struct enode *n;
	s32 pid;
	bool resched_src = false, from_dl = true, parity;
	int ret = PULL_FAIL;
	u64 rel;

	first = lookup_rq(min(cpu, src_cpu));
	second = lookup_rq(max(cpu, src_cpu));
	if (!first || !second)
		return PULL_FAIL;
	bpf_spin_lock(&first->lock);
	bpf_spin_lock(&second->lock);
	src = src_cpu < cpu ? first : second;
	dst = src_cpu < cpu ? second : first;
	if (!rq_waiting(src))
		goto unlock;
	if (periodic ? src->nr_running < dst->nr_running + 2 : dst->nr_running != 0)
		goto unlock;
	if (update_curr(src) && !src->resched) {
		src->resched = 1;
		resched_src = true;
	}
	normalize(src, src_cpu);
	rb = bpf_rbtree_first(&src->dl_tree);
	if (!rb) {
		rb = bpf_rbtree_first(&src->vr_tree);
		from_dl = false;
	}
	if (!rb)
		goto unlock;
	n = container_of(rb, struct enode, rb);
	pid = n->pid;
	if (src->nr_stale && node_stale(src_cpu, pid, n->seq))
		goto unlock;
	x = lookup_ctx(pid);
	/* A task still on a CPU: put back by that CPU's ops.dispatch, whose
	 * pick has not started running (interleaving only). */
	if (!x || x->on_cpu)
		goto unlock;
	/* can_migrate_task(): a delayed task does not move */
	if (x->state == SE_DELAYED)
		goto unlock;
	if (!task_allowed(x, cpu)) {
		ret = PULL_PINNED;
		goto unlock;
	}
	if (from_dl)
		rb = bpf_rbtree_remove(&src->dl_tree, rb);
	else
		rb = bpf_rbtree_remove(&src->vr_tree, rb);
	if (!rb)
		goto unlock;
	n = container_of(rb, struct enode, rb);

	/* dequeue_entity() on src (PLACE_REL_DEADLINE: a migration keeps
	 * the deadline relative to vruntime) */
	update_entity_lag(src, x);
	rel = x->deadline - x->vruntime;
	dequeue_sums(src, x);
	src->nr_running--;
	/* enqueue_entity() on dst */
	if (update_curr(dst) && !dst->resched) {
		dst->resched = 1;
		preempt = true;
	}
	place_entity(dst, x, false);
	if (place_rel_deadline)
		x->deadline = x->vruntime + rel;
	dst->nr_running++;
	x->cpu = cpu;
	enqueue_tree(dst, x, pid, n);
	ret = PULL_OK;
	/* wakeup_preempt() */
	if (dst->curr && !dst->resched && wakeup_preemption) {
		if (update_curr(dst) || pick_eevdf(dst, cpu, &parity) == pid) {
			dst->resched = 1;
			preempt = true;
		}
	}
	sync_overloaded(src, src_cpu);
	sync_overloaded(dst, cpu);
unlock:
	bpf_spin_unlock(&second->lock);
	bpf_spin_unlock(&first->lock);
	if (ret == PULL_OK) {
		if (periodic)
			STAT_INC(balance_pulls);
		else
			STAT_INC(pulls);
	}
	if (resched_src) {
		STAT_INC(remote_preempts);
		scx_bpf_kick_cpu(src_cpu, SCX_KICK_PREEMPT);
	}
	return ret | (preempt ? PULL_PREEMPT : 0);
}

/* One try: the busiest runqueue ranked after (prev_q, prev_cpu). Returns
 * PULL_OK, PULL_PINNED (with *srcp and *qp: the runqueue whose choice may
 * not run here, and its rank) or PULL_FAIL. */
static __always_inline int pull_task(s32 cpu, bool periodic, u32 prev_q, s32 prev_cpu,
				     bool *preempt, s32 *srcp, u32 *qp)
{
	struct eevdf_rq *dst;
	u32 mine = 0, best;
	s32 src_cpu;
	int ret;

	*preempt = false;
	if (periodic) {
		dst = lookup_rq(cpu);
		if (!dst)
			return PULL_FAIL;
		mine = dst->nr_running;
	}
	src_cpu = find_busiest(cpu, periodic, prev_q, prev_cpu, &best);
	if (src_cpu < 0 || (periodic && best < mine + 2))
		return PULL_FAIL;
	*srcp = src_cpu;
	*qp = best;
	ret = try_pull(cpu, src_cpu, periodic);
	*preempt = ret & PULL_PREEMPT;
	return ret & PULL_RESULT;
}

/* ------------------------------------------------------------------------
 * Callbacks
 * ------------------------------------------------------------------------ */

s32 BPF_STRUCT_OPS(eevdf_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *c;
	bool is_idle = false;
	s32 cpu;

	/* ttwu_runnable(): a delayed task is still on its runqueue and wakes
	 * up there */
	if (delay_dequeue) {
		c = lookup_ctx(p->pid);
		if (c && c->state == SE_DELAYED)
			return c->cpu;
	}
	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	/* The task goes to an idle CPU, which the core reschedules: no kick
	 * should claim it for another. */
	if (is_idle && kick_idle() && cpu >= 0 && cpu < nr_cpus)
		idle_exit(cpu);
	return cpu;
}

void BPF_STRUCT_OPS(eevdf_runnable, struct task_struct *p, u64 enq_flags)
{
	s32 pid = p->pid, cpu = scx_bpf_task_cpu(p);
	struct task_ctx *c = lookup_ctx(pid);
	struct eevdf_rq *rq = lookup_rq(cpu);
	bool resched, bad = false;

	if (!c || !rq) {
		scx_bpf_error("runnable: no context for %d or runqueue %d", pid, cpu);
		return;
	}
	bpf_spin_lock(&rq->lock);
	resched = update_curr(rq);
	if (c->state == SE_DELAYED && c->cpu == cpu) {
		/* requeue_delayed_entity() with DELAY_ZERO: a positive lag is
		 * dropped and the task placed at V; else it stays in place */
		update_entity_lag(rq, c);
		if (c->vlag > 0) {
			dequeue_sums(rq, c);
			rq->nr_stale++;
			c->vlag = 0;
			place_entity(rq, c, false);
			c->state = SE_PLACED;
		} else {
			c->state = SE_QUEUED;
			c->flags |= SE_REQUEUED;
		}
	} else if (c->state != SE_NONE) {
		bad = true;
	} else {
		place_entity(rq, c, c->flags & SE_NEW);
		c->flags &= ~SE_NEW;
		c->cpu = cpu;
		c->state = SE_PLACED;
		rq->nr_running++;
	}
	if (resched && !rq->resched)
		rq->resched = 1;
	else
		resched = false;
	bpf_spin_unlock(&rq->lock);
	if (bad)
		scx_bpf_error("runnable: task %d is already on a runqueue", pid);
	if (resched) {
		STAT_INC(remote_preempts);
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	}
}

void BPF_STRUCT_OPS(eevdf_enqueue, struct task_struct *p, u64 enq_flags)
{
	s32 pid = p->pid, cpu;
	struct task_ctx *c = lookup_ctx(pid);
	struct eevdf_rq *rq;
	struct enode *n;
	bool wakeup, kick = false, parity, busy;
	s32 idle;

	if (!c) {
		scx_bpf_error("enqueue: no context for %d", pid);
		return;
	}
	cpu = c->cpu;
	if (c->state == SE_QUEUED && (c->flags & SE_REQUEUED)) {
		/* woke while delayed: already in place; the wakeup checks */
		c->flags &= ~SE_REQUEUED;
		rq = lookup_rq(cpu);
		if (!rq) {
			scx_bpf_error("enqueue: no runqueue %d", cpu);
			return;
		}
		wakeup = true;
		bpf_spin_lock(&rq->lock);
		goto requeued;
	}
	/* Put back by ops.dispatch when it picked another task. */
	if (c->state == SE_QUEUED)
		return;
	if (c->state == SE_CURR && cpu != bpf_get_smp_processor_id()) {
		/* Put back by ops.dispatch, then pulled and picked by another
		 * CPU while this ops.enqueue ran (interleaving only): the
		 * core completes that CPU's insertion when we return. */
		STAT_INC(enqueue_picked);
		return;
	}
	rq = lookup_rq(cpu);
	if (!rq) {
		scx_bpf_error("enqueue: no runqueue %d", cpu);
		return;
	}
	n = bpf_obj_new(struct enode);
	if (!n) {
		scx_bpf_error("enqueue: out of memory");
		return;
	}
	bpf_spin_lock(&rq->lock);
	if (c->state == SE_CURR && rq->curr == pid) {
		/* put_prev_entity() of a task the core took off the CPU
		 * without asking ops.dispatch (not expected). */
		update_curr(rq);
		clear_curr(rq);
		wakeup = false;
	} else if (c->state == SE_PLACED) {
		wakeup = true;
	} else {
		bpf_spin_unlock(&rq->lock);
		bpf_obj_drop(n);
		scx_bpf_error("enqueue: task %d in state %d", pid, c->state);
		return;
	}
	enqueue_tree(rq, c, pid, n);
requeued:
	/* check_preempt_wakeup_fair() */
	if (wakeup && wakeup_preemption && rq->curr && !rq->resched) {
		if (update_curr(rq))
			kick = true;
		else
			kick = pick_eevdf(rq, cpu, &parity) == pid;
		if (kick)
			rq->resched = 1;
	}
	sync_overloaded(rq, cpu);
	busy = rq->overloaded;
	bpf_spin_unlock(&rq->lock);
	if (kick) {
		STAT_INC(wakeup_preempts);
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	}
	/* A task waits here: an idle CPU that may run it pulls (its
	 * ops.dispatch does; an idle CPU only runs it when rescheduled). */
	if (wakeup && busy && kick_idle()) {
		idle = claim_idle(c);
		if (idle >= 0) {
			STAT_INC(idle_kicks);
			scx_bpf_kick_cpu(idle, SCX_KICK_IDLE);
		}
	}
}

void BPF_STRUCT_OPS(eevdf_dispatch, s32 cpu, struct task_struct *prev)
{
	struct task_ctx *pc, *x = NULL;
	struct eevdf_rq *rq;
	struct bpf_rb_node *rb;
	struct enode *n = NULL;
	struct task_struct *p;
	s32 pid, prev_pid, src_cpu = -1, skip_cpu;
	u32 src_q = 0;
	bool parity, pulled = false;
	int ret;

again:
	rq = lookup_rq(cpu);
	if (!rq) {
		scx_bpf_error("dispatch: no runqueue %d", cpu);
		return;
	}
	bpf_spin_lock(&rq->lock);
	if (rq->curr && (!prev || prev->pid != rq->curr)) {
		/* curr is not this CPU's task: an earlier ops.dispatch picked
		 * it and its insertion has not completed (only with
		 * interleaving; the core waits for an ops.enqueue still
		 * running on another CPU, as finish_dispatch() does, so this
		 * is defensive). It will come. */
		bpf_spin_unlock(&rq->lock);
		STAT_INC(in_flight);
		return;
	}
	rq->resched = 0;
	update_curr(rq);
	do {
		pid = pick_eevdf(rq, cpu, &parity);
		/* (delay_dequeue is read-only: off, the verifier sees no loop) */
		if (!delay_dequeue || !pid || pid == rq->curr)
			break;
		/* pick_next_entity(): a delayed entity picked leaves now
		 * (dequeue_entities(DEQUEUE_DELAYED)), and the pick goes on */
		x = lookup_ctx(pid);
		if (!x || x->state != SE_DELAYED)
			break;
		rb = bpf_rbtree_first(&rq->dl_tree);
		if (rb)
			rb = bpf_rbtree_remove(&rq->dl_tree, rb);
		if (!rb) {
			bpf_spin_unlock(&rq->lock);
			scx_bpf_error("dispatch: lost the node of delayed %d", pid);
			return;
		}
		n = container_of(rb, struct enode, rb);
		if (n->pid != pid) {
			bpf_spin_unlock(&rq->lock);
			bpf_obj_drop(n);
			scx_bpf_error("dispatch: lost the node of delayed %d", pid);
			return;
		}
		bpf_obj_drop(n);
		n = NULL;
		update_entity_lag(rq, x);
		dequeue_sums(rq, x);
		if (x->vlag > 0) {
			x->vlag = 0;
			x->lag = 0;
		}
		rq->nr_running--;
		x->state = SE_NONE;
		sync_overloaded(rq, cpu);
	} while (can_loop);
	x = delay_dequeue && pid ? lookup_ctx(pid) : NULL;
	if (x && x->state == SE_DELAYED) {
		/* (the loop's budget ran out): try again */
		bpf_spin_unlock(&rq->lock);
		scx_bpf_kick_cpu(cpu, 0);
		return;
	}
	if (!pid) {
		bpf_spin_unlock(&rq->lock);
		if (newidle_balance && !pulled) {
			/* Idle first, then look: an enqueue that finds no idle
			 * CPU to kick has been seen by the scan. */
			if (kick_idle())
				idle_enter(cpu);
			skip_cpu = rq->skip_cpu;
			ret = pull_task(cpu, false, skip_cpu ? rq->skip_q : ~0U, skip_cpu - 1,
					&parity, &src_cpu, &src_q);
			if (ret == PULL_OK) {
				rq->skip_cpu = 0;
				pulled = true;
				goto again;
			}
			if (ret == PULL_PINNED) {
				/* Try the next busiest in a new round. */
				STAT_INC(pinned);
				rq->skip_q = src_q;
				rq->skip_cpu = src_cpu + 1;
				scx_bpf_kick_cpu(cpu, 0);
			} else {
				rq->skip_cpu = 0;
			}
		}
		STAT_INC(went_idle);
		if (kick_idle() && any_waiting(cpu))
			STAT_INC(idle_waiting);
		return;
	}
	if (kick_idle())
		idle_exit(cpu);
	rq->skip_cpu = 0;
	if (pid == rq->curr) {
		bpf_spin_unlock(&rq->lock);
		STAT_INC(keeps);
		if (parity)
			STAT_INC(parity_keeps);
		if (!prev || prev->pid != pid) {
			scx_bpf_error("dispatch: curr %d is not prev", pid);
			return;
		}
		/* The request goes on: refill the slice. */
		prev->scx.slice = SCX_SLICE_INF;
		return;
	}
	rb = bpf_rbtree_first(&rq->dl_tree);
	if (rb)
		rb = bpf_rbtree_remove(&rq->dl_tree, rb);
	x = lookup_ctx(pid);
	if (!rb || !x || container_of(rb, struct enode, rb)->pid != pid) {
		bpf_spin_unlock(&rq->lock);
		if (rb)
			bpf_obj_drop(container_of(rb, struct enode, rb));
		scx_bpf_error("dispatch: lost the node of %d", pid);
		return;
	}
	n = container_of(rb, struct enode, rb);
	prev_pid = rq->curr;
	pc = prev_pid ? lookup_ctx(prev_pid) : NULL;
	clear_curr(rq);
	if (pc) {
		/* put_prev_entity(): curr goes back in the tree, in the node
		 * the pick leaves free. */
		enqueue_tree(rq, pc, prev_pid, n);
		n = NULL;
	}
	/* set_next_entity() */
	dequeue_sums(rq, x);
	x->state = SE_CURR;
	x->exec_start = scx_bpf_now();
	x->picked_deadline = x->deadline;
	set_curr(rq, pid, x);
	x->lag = (s64)(avg_vruntime(rq) - x->vruntime);
	sync_overloaded(rq, cpu);
	bpf_spin_unlock(&rq->lock);
	if (n)
		bpf_obj_drop(n);
	STAT_INC(picks);

	p = bpf_task_from_pid(pid);
	if (!p) {
		scx_bpf_error("dispatch: no task %d", pid);
		return;
	}
	scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_INF, 0);
	bpf_task_release(p);
}

void BPF_STRUCT_OPS(eevdf_tick, struct task_struct *p)
{
	s32 pid = p->pid;
	struct task_ctx *c = lookup_ctx(pid);
	struct eevdf_rq *rq;
	bool resched = false, balance = false, preempt, ours = false;
	s32 idle, src_cpu;
	u32 src_q;

	if (!c)
		return;
	rq = lookup_rq(c->cpu);
	if (!rq)
		return;
	bpf_spin_lock(&rq->lock);
	if (rq->curr == pid) {
		ours = true;
		resched = update_curr(rq);
		if (resched)
			rq->resched = 1;
		rq->ticks++;
		balance = balance_ticks && !(rq->ticks % balance_ticks);
	}
	bpf_spin_unlock(&rq->lock);
	if (resched) {
		STAT_INC(tick_preempts);
		p->scx.slice = 0;
	} else if (balance && pull_task(c->cpu, true, ~0U, -1, &preempt, &src_cpu, &src_q) == PULL_OK &&
		   preempt) {
		STAT_INC(balance_preempts);
		p->scx.slice = 0;
	}
	/* nohz_balancer_kick(): tasks wait here while a CPU is idle (one
	 * whose pull failed, say): kick it to pull again. */
	if (ours && kick_idle() && rq->nr_queued) {
		idle = claim_idle(NULL);
		if (idle >= 0) {
			STAT_INC(tick_kicks);
			scx_bpf_kick_cpu(idle, SCX_KICK_IDLE);
		}
	}
}

void BPF_STRUCT_OPS(eevdf_running, struct task_struct *p)
{
	struct task_ctx *c = lookup_ctx(p->pid);

	if (!c || c->state != SE_CURR) {
		scx_bpf_error("running: task %d was not picked by eevdf", p->pid);
		return;
	}
	c->on_cpu = 1;
}

void BPF_STRUCT_OPS(eevdf_stopping, struct task_struct *p, bool runnable)
{
	s32 pid = p->pid;
	struct task_ctx *c = lookup_ctx(pid);
	struct eevdf_rq *rq;

	if (!c)
		return;
	c->on_cpu = 0;
	rq = lookup_rq(c->cpu);
	if (!rq)
		return;
	bpf_spin_lock(&rq->lock);
	if (rq->curr == pid)
		update_curr(rq);
	bpf_spin_unlock(&rq->lock);
}

void BPF_STRUCT_OPS(eevdf_quiescent, struct task_struct *p, u64 deq_flags)
{
	s32 pid = p->pid, cpu;
	struct task_ctx *c = lookup_ctx(pid);
	struct eevdf_rq *rq;
	struct enode *n = NULL;
	bool resched = false;

	if (!c)
		return;
	cpu = c->cpu;
	rq = lookup_rq(cpu);
	if (!rq)
		return;
	/* DELAY_DEQUEUE applies to a sleep (not to an exit) */
	if (delay_dequeue && (deq_flags & SCX_DEQ_SLEEP) && !(p->flags & PF_EXITING) && c->state == SE_CURR)
		n = bpf_obj_new(struct enode);
	bpf_spin_lock(&rq->lock);
	if (c->state == SE_CURR && rq->curr == pid) {
		/* dequeue_entity() of curr */
		update_curr(rq);
		if (n && !vruntime_eligible(rq, c->vruntime)) {
			/* not eligible: it stays, asleep, until picked */
			clear_curr(rq);
			enqueue_tree(rq, c, pid, n);
			n = NULL;
			c->state = SE_DELAYED;
			sync_overloaded(rq, cpu);
			bpf_spin_unlock(&rq->lock);
			STAT_INC(delayed);
			return;
		}
		update_entity_lag(rq, c);
		clear_curr(rq);
	} else if (c->state == SE_QUEUED) {
		/* dequeue_entity() of a waiting entity: its node is dropped
		 * when a walk meets it */
		resched = update_curr(rq);
		update_entity_lag(rq, c);
		dequeue_sums(rq, c);
		rq->nr_stale++;
	}
	if (c->state != SE_NONE)
		rq->nr_running--;
	c->state = SE_NONE;
	sync_overloaded(rq, cpu);
	if (resched && !rq->resched)
		rq->resched = 1;
	else
		resched = false;
	bpf_spin_unlock(&rq->lock);
	if (n)
		bpf_obj_drop(n);
	if (resched) {
		STAT_INC(remote_preempts);
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	}
}

void BPF_STRUCT_OPS(eevdf_set_weight, struct task_struct *p, u32 weight)
{
	s32 pid = p->pid, cpu;
	struct task_ctx *c = lookup_ctx(pid);
	u32 nw = prio_weight(p->static_prio), old;
	struct eevdf_rq *rq;
	struct enode *n;
	bool resched = false, queued, delayed;
	u64 v;
	s64 d;

	if (!c || c->weight == nw)
		return;
	old = c->weight;
	if (c->state == SE_NONE || c->state == SE_PLACED) {
		/* se->vlag = V - v_i while lag_i = w_i * (V - v_i): keep lag_i */
		c->vlag = c->vlag * (s64)old / (s64)nw;
		c->lag = c->vlag;
		c->weight = nw;
		return;
	}
	cpu = c->cpu;
	rq = lookup_rq(cpu);
	if (!rq)
		return;
	n = bpf_obj_new(struct enode);
	if (!n) {
		scx_bpf_error("set_weight: out of memory");
		return;
	}
	bpf_spin_lock(&rq->lock);
	resched = update_curr(rq);
	delayed = c->state == SE_DELAYED;
	queued = c->state == SE_QUEUED || delayed;
	if (queued) {
		dequeue_sums(rq, c);
		rq->nr_stale++;
	}
	/* reweight_eevdf(): keep lag_i = w_i * (V - v_i) and the relative
	 * deadline's real length. */
	v = avg_vruntime(rq);
	if (v != c->vruntime) {
		d = (s64)(v - c->vruntime);
		d = d * (s64)old / (s64)nw;
		c->vruntime = v - d;
	}
	d = (s64)(c->deadline - v);
	d = d * (s64)old / (s64)nw;
	c->deadline = v + d;
	c->weight = nw;
	if (rq->curr == pid)
		set_curr(rq, pid, c);
	if (queued) {
		enqueue_tree(rq, c, pid, n);
		n = NULL;
		if (delayed)
			c->state = SE_DELAYED;
	}
	if (resched && !rq->resched)
		rq->resched = 1;
	else
		resched = false;
	bpf_spin_unlock(&rq->lock);
	if (n)
		bpf_obj_drop(n);
	if (resched) {
		STAT_INC(remote_preempts);
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	}
}

s32 BPF_STRUCT_OPS_SLEEPABLE(eevdf_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_ctx init = {}, *c;
	s32 pid = p->pid;

	init.weight = prio_weight(p->static_prio);
	init.flags = SE_NEW;
	init.cpu = scx_bpf_task_cpu(p);
	init.slice = sysctl_base_slice;
	if (bpf_map_update_elem(&tasks, &pid, &init, BPF_NOEXIST))
		return -12; /* -ENOMEM */
	c = lookup_ctx(pid);
	if (!c)
		return -12;
	bpf_probe_read_kernel(c->cpus, sizeof(c->cpus), p->cpus_ptr);
	return 0;
}

void BPF_STRUCT_OPS(eevdf_exit_task, struct task_struct *p, struct scx_exit_task_args *args)
{
	s32 pid = p->pid;

	bpf_map_delete_elem(&tasks, &pid);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(eevdf_init)
{
	u32 n = scx_bpf_nr_cpu_ids(), factor;
	struct eevdf_rq *rq;
	s32 i;

	if (n > MAX_CPUS) {
		scx_bpf_error("eevdf: %u CPUs, at most %d", n, MAX_CPUS);
		return -22;
	}
	nr_cpus = n;
	nr_words = (n + 63) / 64;
	/* update_sysctl(): SCHED_TUNABLESCALING_LOG */
	n = min(n, 8);
	factor = 1 + (n >= 2) + (n >= 4) + (n >= 8);
	sysctl_base_slice = base_slice_ns * factor;
	bpf_for(i, 0, nr_cpus) {
		rq = lookup_rq(i);
		if (!rq)
			break;
		/* init_cfs_rq(): start near the wrap to catch overflow bugs */
		rq->zero_vruntime = (u64)(-(1LL << 20));
	}
	return 0;
}

SCX_OPS_DEFINE(eevdf_ops,
	       .select_cpu = (void *)eevdf_select_cpu,
	       .enqueue = (void *)eevdf_enqueue,
	       .dispatch = (void *)eevdf_dispatch,
	       .tick = (void *)eevdf_tick,
	       .runnable = (void *)eevdf_runnable,
	       .running = (void *)eevdf_running,
	       .stopping = (void *)eevdf_stopping,
	       .quiescent = (void *)eevdf_quiescent,
	       .set_weight = (void *)eevdf_set_weight,
	       .init_task = (void *)eevdf_init_task,
	       .exit_task = (void *)eevdf_exit_task,
	       .init = (void *)eevdf_init,
	       .name = "eevdf");
