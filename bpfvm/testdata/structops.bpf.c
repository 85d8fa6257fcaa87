/* SPDX-License-Identifier: GPL-2.0 */
/* A sched_ext_ops struct_ops map in .struct_ops.link (SCX_OPS_DEFINE) and
 * a second one in the older .struct_ops section. */
#include "common.h"

char _license[] SEC("license") = "GPL";

struct task_struct;

struct sched_ext_ops {
	s32 (*select_cpu)(struct task_struct *p, s32 prev_cpu, u64 wake_flags);
	void (*enqueue)(struct task_struct *p, u64 enq_flags);
	void (*dispatch)(s32 cpu, struct task_struct *prev);
	s32 (*init)(void);
	void (*exit)(void *info);
	u32 dispatch_max_batch;
	u64 flags;
	u32 timeout_ms;
	u32 exit_dump_len;
	u64 hotplug_seq;
	char name[128];
};

u64 nr_enqueued;

static __attribute__((noinline)) void count(u64 n)
{
	nr_enqueued += n;
}

SEC("struct_ops/test_select_cpu")
s32 test_select_cpu(struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	return prev_cpu;
}

SEC("struct_ops/test_enqueue")
void test_enqueue(struct task_struct *p, u64 enq_flags)
{
	count(1);
}

SEC("struct_ops.s/test_init")
s32 test_init(void)
{
	return 0;
}

SEC(".struct_ops.link")
struct sched_ext_ops test_ops = {
	.select_cpu = (void *)test_select_cpu,
	.enqueue = (void *)test_enqueue,
	.init = (void *)test_init,
	.flags = 4,
	.timeout_ms = 5000,
	.dispatch_max_batch = 8,
	.name = "test",
};

SEC(".struct_ops")
struct sched_ext_ops legacy_ops = {
	.enqueue = (void *)test_enqueue,
	.name = "legacy",
};
