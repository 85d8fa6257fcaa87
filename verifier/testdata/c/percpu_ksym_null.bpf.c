//go:build ignore

/* expect: reject "invalid mem access 'ptr_or_null_'" in pkn_enqueue
 * bpf_per_cpu_ptr() returns NULL for a CPU out of range: its result must
 * be checked before use (RET_PTR_TO_MEM_OR_BTF_ID | PTR_MAYBE_NULL). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

extern struct rq runqueues __ksym;

u64 seen_clock;

void BPF_STRUCT_OPS(pkn_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct rq *rq = bpf_per_cpu_ptr(&runqueues, scx_bpf_task_cpu(p));

	seen_clock = rq->clock_task;
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(pkn_ops,
	       .enqueue = (void *)pkn_enqueue,
	       .name = "pkn");
