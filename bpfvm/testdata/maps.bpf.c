/* SPDX-License-Identifier: GPL-2.0 */
/* One map of each supported type, and programs that use the map helpers and
 * bpf_timer. */
#include "common.h"

char _license[] SEC("license") = "GPL";

struct task_struct;

struct val {
	u64 count;
	u32 last;
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct val);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} pcpu_arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, struct val);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, u64);
	__type(value, u64);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} lru_pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, u32);
} stack SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
};

struct inner inner_a SEC(".maps");
struct inner inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct task_ctx {
	u64 runs;
	u64 last_ran;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

struct timer_val {
	struct bpf_timer timer;
	u64 fired;
	u64 seen_key;
	s64 cancel_ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct timer_val);
} timers SEC(".maps");

SEC("tc")
int use_array(void *ctx)
{
	u32 key = 1;
	struct val *v = bpf_map_lookup_elem(&arr, &key);

	if (!v)
		return -1;
	v->count++;
	return v->count;
}

SEC("tc")
int use_hash(void *ctx)
{
	u32 key = 5;
	struct val nv = { .count = 1 };
	struct val *v;

	if (bpf_map_update_elem(&hash, &key, &nv, BPF_NOEXIST))
		return -1;
	v = bpf_map_lookup_elem(&hash, &key);
	if (!v)
		return -2;
	v->count += 10;
	bpf_map_delete_elem(&hash, &key);
	return v->count;
}

SEC("tc")
int use_queue(void *ctx)
{
	u32 a = 1, b = 2, out = 0;

	bpf_map_push_elem(&queue, &a, 0);
	bpf_map_push_elem(&stack, &b, 0);
	bpf_map_peek_elem(&queue, &out);
	bpf_map_pop_elem(&stack, &out);
	return out;
}

SEC("tc")
int use_outer(void *ctx)
{
	u32 key = 2, zero = 0;
	void *inner = bpf_map_lookup_elem(&outer, &key);
	u64 *v;

	if (!inner)
		return -1;
	v = bpf_map_lookup_elem(inner, &zero);
	if (!v)
		return -2;
	*v += 3;
	return *v;
}

SEC("tc")
int use_task_storage(struct task_struct *p)
{
	struct task_ctx *tctx;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx)
		return -1;
	tctx->runs++;
	return tctx->runs;
}

static int timer_cb(void *map, int *key, struct timer_val *tv)
{
	tv->fired++;
	tv->seen_key = *key + 100;
	return 0;
}

SEC("tc")
int use_timer(void *ctx)
{
	u32 key = 0;
	struct timer_val *tv = bpf_map_lookup_elem(&timers, &key);

	if (!tv)
		return -1;
	if (bpf_timer_init(&tv->timer, &timers, CLOCK_MONOTONIC))
		return -2;
	if (bpf_timer_set_callback(&tv->timer, timer_cb))
		return -3;
	if (bpf_timer_start(&tv->timer, 1000, 0))
		return -4;
	return 0;
}

static long sum_cb(void *map, u32 *key, struct val *v, u64 *sum)
{
	*sum += v->count;
	return 0;
}

SEC("tc")
int use_for_each(void *ctx)
{
	u64 sum = 0;

	bpf_for_each_map_elem(&arr, sum_cb, &sum, 0);
	return sum;
}

SEC("tc")
int use_percpu(void *ctx)
{
	u32 key = 0;
	u64 *v = bpf_map_lookup_elem(&pcpu_arr, &key);
	u64 *other;

	if (!v)
		return -1;
	*v += 1;
	other = bpf_map_lookup_percpu_elem(&pcpu_arr, &key, 1);
	if (!other)
		return -2;
	return *other;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct timer_val);
} htimers SEC(".maps");

static int self_cancel_cb(void *map, u32 *key, struct timer_val *tv)
{
	tv->fired++;
	tv->seen_key = *key;
	/* A timer cannot cancel itself from its callback: -EDEADLK. */
	tv->cancel_ret = bpf_timer_cancel(&tv->timer);
	return 0;
}

SEC("tc")
int use_hash_timer(void *ctx)
{
	struct timer_val init = {};
	u32 key = 7;
	struct timer_val *tv;

	if (bpf_map_update_elem(&htimers, &key, &init, BPF_ANY))
		return -1;
	tv = bpf_map_lookup_elem(&htimers, &key);
	if (!tv)
		return -2;
	if (bpf_timer_init(&tv->timer, &htimers, CLOCK_MONOTONIC))
		return -3;
	if (bpf_timer_set_callback(&tv->timer, self_cancel_cb))
		return -4;
	return bpf_timer_start(&tv->timer, 500, BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN);
}
