//go:build ignore

/* expect: reject "R1 must be a rcu pointer" in krb_init_task
 * ops.init_task is sleepable: outside bpf_rcu_read_lock() p->real_parent
 * is an untrusted pointer (check_ptr_to_btf_access: not in an RCU
 * section), which a KF_RCU kfunc refuses (check_kfunc_args). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 parent_cpu;

s32 BPF_STRUCT_OPS_SLEEPABLE(krb_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_struct *parent = p->real_parent;

	if (parent)
		parent_cpu = scx_bpf_task_cpu(parent);
	return 0;
}

void BPF_STRUCT_OPS(krb_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(krb_ops,
	       .init_task = (void *)krb_init_task,
	       .enqueue = (void *)krb_enqueue,
	       .name = "krb");
