/* SPDX-License-Identifier: GPL-2.0 */
/* Maps and globals of many BTF shapes, for DumpMap's tests. */
#include "common.h"

char _license[] SEC("license") = "GPL";

struct bpf_spin_lock {
	u32 val;
};

enum color { RED, GREEN = 5, BLUE = -1 };

typedef const volatile __u16 cv_u16;

struct inner {
	__s16 small;
	char tag[4];
};

struct val {
	u64 count;
	s32 delta;
	unsigned int lo : 3, mid : 7;
	int neg : 5;
	enum color col;
	char name[8];
	cv_u16 chain;
	bool on;
	struct inner in[2];
	union {
		u32 word;
		u8 bytes[4];
	};
	struct val *next;
	struct bpf_spin_lock lock;
	double ratio;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, struct val);
} vals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, s32);
	__type(value, u64);
} byid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, 4);
	__uint(value_size, 3);
	__uint(max_entries, 1);
} nobtf SEC(".maps");

u64 counter;
u32 words[3] = {1, 2, 3};
const volatile char label[6] = "hi";
const volatile enum color favourite = GREEN;

SEC("syscall")
int touch(void *ctx)
{
	u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&vals, &k);

	if (v)
		v->count += label[0] + favourite;
	counter++;
	words[1] = 7;
	return 0;
}
