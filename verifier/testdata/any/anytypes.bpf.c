//go:build ignore

/* Programs of types other than struct_ops, for `schedsim verify` as a
 * veristat: a socket filter that touches only a map (verified), one whose
 * stack store is out of bounds (rejected) and a raw tracepoint that reads
 * its context (not modelled). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("socket")
int count_packets(void *ctx)
{
	u32 k = 0;
	u64 *v = bpf_map_lookup_elem(&counts, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("socket")
int bad_index(void *ctx)
{
	u32 k = bpf_get_prandom_u32();
	u64 *v = bpf_map_lookup_elem(&counts, &k);

	if (v)
		v[k & 7] = 1; /* 8 slots of a 1-slot value */
	return 0;
}

SEC("raw_tp/sched_switch")
int read_ctx(u64 *ctx)
{
	return ctx[0] != 0;
}
