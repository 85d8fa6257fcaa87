/* cssiter.bpf.c: a test policy that walks the cgroup hierarchy with the css
 * iterator (bpf_for_each(css, ...)): in ops.init (sleepable, so inside
 * bpf_rcu_read_lock()) the whole tree from the root in pre-order and in
 * post-order, the subtree of the first child in pre-order, and a walk with
 * an order the iterator refuses; in ops.enqueue (not sleepable: an implicit
 * RCU read section) the ancestors of a task's level-2 cgroup, upwards. The
 * cgroup ids, in visit order, go to the arrays below for the test to check. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

#define MAX_VISIT 16

u64 pre_ids[MAX_VISIT], post_ids[MAX_VISIT], sub_ids[MAX_VISIT], up_ids[MAX_VISIT];
u64 nr_pre, nr_post, nr_sub, nr_up, nr_bad_order, bad_order_ret;

static __always_inline u64 walk(struct cgroup_subsys_state *start, unsigned int order, u64 *ids)
{
	struct cgroup_subsys_state *pos;
	u64 n = 0;

	bpf_for_each(css, pos, start, order) {
		u64 i = n++;

		barrier_var(i);
		if (i < MAX_VISIT)
			ids[i] = pos->cgroup->kn->id;
	}
	return n;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ci_init)
{
	struct cgroup *root, *sub;
	struct bpf_iter_css it;

	root = bpf_cgroup_from_id(1);
	if (!root)
		return -ENOENT;
	bpf_rcu_read_lock();
	nr_pre = walk(&root->self, BPF_CGROUP_ITER_DESCENDANTS_PRE, pre_ids);
	nr_post = walk(&root->self, BPF_CGROUP_ITER_DESCENDANTS_POST, post_ids);
	/* SELF_ONLY is the cgroup iterator's (bpf_iter), not bpf_iter_css's */
	bad_order_ret = -bpf_iter_css_new(&it, &root->self, BPF_CGROUP_ITER_SELF_ONLY);
	if (bpf_iter_css_next(&it))
		nr_bad_order++;
	bpf_iter_css_destroy(&it);
	bpf_rcu_read_unlock();
	bpf_cgroup_release(root);

	sub = bpf_cgroup_from_id(pre_ids[1]);
	if (!sub)
		return -ENOENT;
	bpf_rcu_read_lock();
	nr_sub = walk(&sub->self, BPF_CGROUP_ITER_DESCENDANTS_PRE, sub_ids);
	bpf_rcu_read_unlock();
	bpf_cgroup_release(sub);
	return 0;
}

void BPF_STRUCT_OPS(ci_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct cgroup *cgrp = scx_bpf_task_cgroup(p);

	if (cgrp->level == 2 && !nr_up)
		nr_up = walk(&cgrp->self, BPF_CGROUP_ITER_ANCESTORS_UP, up_ids);
	bpf_cgroup_release(cgrp);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(cssiter_ops,
	       .init = (void *)ci_init,
	       .enqueue = (void *)ci_enqueue,
	       .name = "cssiter");
