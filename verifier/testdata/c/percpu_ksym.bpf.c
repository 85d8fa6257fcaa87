//go:build ignore

/* expect: accept
 * Typed per-CPU kernel variables (extern ... __ksym): bpf_per_cpu_ptr()
 * returns one CPU's instance, NULL when the CPU is out of range (checked
 * here); bpf_this_cpu_ptr() the current CPU's, never NULL. A struct is read
 * field by field (rq->clock_task, as scx's scx_clock_task() does), an int
 * through read-only memory of its size (check_pseudo_btf_id,
 * RET_PTR_TO_MEM_OR_BTF_ID). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

extern struct rq runqueues __ksym;
extern const int sd_llc_size __ksym;

u64 seen_clock, seen_llc;

void BPF_STRUCT_OPS(pk_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct rq *rq = bpf_per_cpu_ptr(&runqueues, scx_bpf_task_cpu(p));
	const int *llc = bpf_this_cpu_ptr(&sd_llc_size);

	if (rq)
		seen_clock = rq->clock_task;
	seen_llc = *llc;
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(pk_ops,
	       .enqueue = (void *)pk_enqueue,
	       .name = "pk");
