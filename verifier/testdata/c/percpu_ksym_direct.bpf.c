//go:build ignore

/* expect: reject "invalid mem access 'percpu_ptr_'" in pkd_enqueue
 * The address of a per-CPU variable is no CPU's instance: it is read only
 * through bpf_per_cpu_ptr() / bpf_this_cpu_ptr() (PTR_TO_BTF_ID |
 * MEM_PERCPU). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

extern struct rq runqueues __ksym;

u64 seen_clock;

void BPF_STRUCT_OPS(pkd_enqueue, struct task_struct *p, u64 enq_flags)
{
	seen_clock = runqueues.clock_task;
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(pkd_ops,
	       .enqueue = (void *)pkd_enqueue,
	       .name = "pkd");
