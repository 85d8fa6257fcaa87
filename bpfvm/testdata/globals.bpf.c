/* SPDX-License-Identifier: GPL-2.0 */
/* Global data sections, const volatile parameters, resizable arrays,
 * __SCX_* enum variables and bpf-to-bpf subprograms. */
#include "common.h"

char _license[] SEC("license") = "GPL";

/* .rodata: parameters set by the loader before the program runs. */
const volatile u32 nr_cpus = 1;
const volatile s64 slice_ns = -5;
const volatile bool verbose;
const volatile u8 weights[4] = { 1, 2, 3, 4 };
const volatile char label[8] = "def";
/* Filled from the kernel's enum by the loader (SCX_ENUM_INIT). */
const volatile u64 __SCX_DSQ_LOCAL;
const volatile u64 __SCX_NOT_AN_ENUMERATOR;

/* .data and .bss */
u64 counter = 42;
u32 hits[3] = { 7, 8, 9 };
u64 total;
struct { u32 a; u64 b; } pair;

/* .data.cpu_load: a resizable array (RESIZABLE_ARRAY(data, cpu_load)). */
u64 RESIZABLE_ARRAY(data, cpu_load);
/* .bss.scratch: a resizable array in a .bss.* section. */
u32 RESIZABLE_ARRAY(bss, scratch);

static __attribute__((noinline)) u64 add_weight(u32 i)
{
	if (i >= 4)
		return 0;
	return weights[i] + counter;
}

__attribute__((noinline)) u64 sum_weights(u32 n)
{
	u64 s = 0;
	u32 i;

	for (i = 0; i < 4 && i < n; i++)
		s += add_weight(i);
	return s;
}

SEC("tc")
int read_globals(void *ctx)
{
	u64 r = sum_weights(nr_cpus);

	total += r;
	pair.b = total;
	cpu_load[0] = slice_ns;
	if (verbose)
		hits[1]++;
	scratch[0] = label[0];
	return (int)(r + __SCX_DSQ_LOCAL);
}

SEC("tc")
int other_entry(void *ctx)
{
	/* Shares add_weight with read_globals. */
	return (int)add_weight(2) + (int)counter;
}
