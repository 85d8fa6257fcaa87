/* SPDX-License-Identifier: GPL-2.0 */
/* CO-RE relocations against a kernel BTF whose layout differs from the one
 * compiled here, extern kfuncs (weak and strong), ksym variables and
 * .kconfig externs. */
#include "common.h"

char _license[] SEC("license") = "GPL";

/* The local view of task_struct: the loader's kernel BTF puts these fields
 * at other offsets, and has no field "gone". */
struct task_struct {
	int pid;
	u64 vruntime;
	u32 weight;
	u32 gone;
	struct {
		u64 slice;
		u64 dsq_vtime;
	} scx;
} __attribute__((preserve_access_index));

enum scx_dsq_id_flags {
	SCX_DSQ_FLAG_BUILTIN = 1,
	SCX_DSQ_LOCAL = 2,
};

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern u64 scx_bpf_now(void) __ksym __weak;
extern u32 scx_bpf_nr_cpu_ids(void) __ksym __weak;
extern void bpf_some_ksym_var __ksym __weak;
extern int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_SCHED_SMT __kconfig;

SEC("tc")
u64 core_read(struct task_struct *p)
{
	u64 r = p->vruntime + p->scx.dsq_vtime + p->weight;

	if (bpf_core_field_exists(p->gone))
		r += p->gone;
	r += bpf_core_type_size(struct task_struct);
	r += bpf_core_enum_value(enum scx_dsq_id_flags, SCX_DSQ_LOCAL);
	return r;
}

SEC("tc")
u64 kfuncs(struct task_struct *p)
{
	struct task_struct *q = bpf_task_acquire(p);
	u64 r = 0;

	if (q)
		bpf_task_release(q);
	if (bpf_ksym_exists(scx_bpf_now))
		r += scx_bpf_now();
	if (bpf_ksym_exists(scx_bpf_nr_cpu_ids))
		r += scx_bpf_nr_cpu_ids();
	if (&bpf_some_ksym_var)
		r += 1000;
	r += LINUX_KERNEL_VERSION;
	if (CONFIG_SCHED_SMT)
		r += 7;
	return r;
}
