//go:build ignore

/* expect: accept
 * Pruning inside a long loop: a stored state that misses counts a miss
 * only when the path would store a new state there (the kernel's
 * is_state_visited: "if (add_new_state) sl->miss_cnt++"), so the loop's
 * later rounds do not evict the states of its first ones, which prune
 * them. Modelled on scx_pandemonium's find_pcpu_with_room: 32 rounds,
 * three map lookups and a least-loaded choice per round, bounded by
 * writable globals; counting every
 * miss, this exceeded 1,000,000 processed instructions. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define CANDS 128
#define SCAN 32

const volatile u32 nr_cpu_ids = 8;
u32 depth_base = 4;
u32 budget = 6;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8 * CANDS);
	__type(key, u32);
	__type(value, u32);
} rank SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u32);
} domain SEC(".maps");

static __always_inline u32 domain_of(s32 cpu)
{
	if (cpu < 0 || (u32)cpu >= nr_cpu_ids)
		return 0;
	u32 key = (u32)cpu;
	u32 *d = bpf_map_lookup_elem(&domain, &key);
	u32 dom = d ? *d : 0;
	return dom < 4 ? dom : 0;
}

static __always_inline s32 find_room(s32 src, const struct cpumask *allowed)
{
	if (src < 0 || (u32)src >= nr_cpu_ids)
		return -1;
	u32 src_dom = domain_of(src);
	u32 base = (u32)src * CANDS;
	u32 checked = 0;
	s32 best = -1;
	u32 best_q = depth_base;
	for (int i = 0; i < SCAN; i++) {
		u32 key = base + (u32)i;
		u32 *val = bpf_map_lookup_elem(&rank, &key);
		if (!val || *val == (u32)-1)
			break;
		u32 peer = *val;
		if (peer >= nr_cpu_ids)
			continue;
		if (allowed && !bpf_cpumask_test_cpu((s32)peer, allowed))
			continue;
		u32 q = scx_bpf_dsq_nr_queued((u64)peer);
		if (q < depth_base) {
			if (domain_of((s32)peer) == src_dom)
				return (s32)peer;
			if (q < best_q) {
				best_q = q;
				best = (s32)peer;
			}
		}
		if (++checked >= budget)
			break;
	}
	return best;
}

s32 BPF_STRUCT_OPS(plm_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	s32 cpu = find_room(prev_cpu, p->cpus_ptr);

	if (cpu >= 0)
		return cpu;
	return prev_cpu;
}

void BPF_STRUCT_OPS(plm_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(plm_ops,
	       .select_cpu = (void *)plm_select_cpu,
	       .enqueue = (void *)plm_enqueue,
	       .name = "plm");
