//go:build ignore

/* expect: accept
 * Outside a sleepable program every callback is an RCU read section
 * (in_rcu_cs): ops.enqueue walks its task's cgroup's ancestors with the
 * css iterator without bpf_rcu_read_lock(), and reads each cgroup through
 * the returned RCU pointer. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 depth, sum;

void BPF_STRUCT_OPS(cin_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct cgroup *cgrp = scx_bpf_task_cgroup(p);
	struct cgroup_subsys_state *pos;

	bpf_for_each(css, pos, &cgrp->self, BPF_CGROUP_ITER_ANCESTORS_UP) {
		depth++;
		sum += pos->cgroup->kn->id;
	}
	bpf_cgroup_release(cgrp);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(cin_ops,
	       .enqueue = (void *)cin_enqueue,
	       .name = "cin");
