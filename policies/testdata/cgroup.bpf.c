/* cgroup.bpf.c: a test policy that uses cgroups the way scx_flatcg does:
 * per-cgroup data in BPF_MAP_TYPE_CGRP_STORAGE created in ops.cgroup_init
 * from the cgroup's weight, the task's cgroup through scx_bpf_task_cgroup()
 * (released after use), ancestors through bpf_cgroup_ancestor(), lookups
 * by id with bpf_cgroup_from_id(), and the move / weight callbacks. Each
 * cgroup's tasks get a slice proportional to its weight. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct cgrp_ctx {
	u64 id;
	u32 weight;
	u32 level;
	u64 parent_id;
	u64 nr_enqueued;
	u64 nr_moved_in;
	u64 runtime;
};

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cgrp_ctx);
} cgrp_ctxs SEC(".maps");

u64 nr_cgroup_inits, nr_moves, nr_prep_moves, nr_weight_changes, last_weight;
u64 nr_bad_ancestor, nr_from_id_ok, nr_init_task_cgrp, max_level;

s32 BPF_STRUCT_OPS(cg_cgroup_init, struct cgroup *cgrp, struct scx_cgroup_init_args *args)
{
	struct cgrp_ctx *c;
	struct cgroup *parent;

	c = bpf_cgrp_storage_get(&cgrp_ctxs, cgrp, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c)
		return -ENOMEM;
	c->id = cgrp->kn->id;
	c->weight = args->weight;
	c->level = cgrp->level;
	if (cgrp->level > max_level)
		max_level = cgrp->level;
	if (cgrp->level > 0) {
		parent = bpf_cgroup_ancestor(cgrp, cgrp->level - 1);
		if (!parent)
			return -ENOENT;
		c->parent_id = parent->kn->id;
		/* the parent was initialised first (pre-order) */
		if (!bpf_cgrp_storage_get(&cgrp_ctxs, parent, NULL, 0))
			nr_bad_ancestor++;
		bpf_cgroup_release(parent);
	}
	nr_cgroup_inits++;
	return 0;
}

void BPF_STRUCT_OPS(cg_cgroup_set_weight, struct cgroup *cgrp, u32 weight)
{
	struct cgrp_ctx *c = bpf_cgrp_storage_get(&cgrp_ctxs, cgrp, NULL, 0);

	if (c)
		c->weight = weight;
	last_weight = weight;
	nr_weight_changes++;
}

s32 BPF_STRUCT_OPS(cg_cgroup_prep_move, struct task_struct *p, struct cgroup *from, struct cgroup *to)
{
	nr_prep_moves++;
	/* refuse moves into a cgroup of weight 1 */
	struct cgrp_ctx *c = bpf_cgrp_storage_get(&cgrp_ctxs, to, NULL, 0);

	if (c && c->weight == 1)
		return -EBUSY;
	return 0;
}

void BPF_STRUCT_OPS(cg_cgroup_move, struct task_struct *p, struct cgroup *from, struct cgroup *to)
{
	struct cgrp_ctx *c = bpf_cgrp_storage_get(&cgrp_ctxs, to, NULL, 0);

	if (c)
		c->nr_moved_in++;
	nr_moves++;
}

s32 BPF_STRUCT_OPS(cg_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	if (args->cgroup)
		nr_init_task_cgrp++;
	return 0;
}

void BPF_STRUCT_OPS(cg_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct cgroup *cgrp = scx_bpf_task_cgroup(p), *again;
	struct cgrp_ctx *c;
	u64 slice = SCX_SLICE_DFL;

	c = bpf_cgrp_storage_get(&cgrp_ctxs, cgrp, NULL, 0);
	if (c) {
		c->nr_enqueued++;
		slice = SCX_SLICE_DFL * c->weight / 100;
		again = bpf_cgroup_from_id(c->id);
		if (again) {
			if (again == cgrp)
				nr_from_id_ok++;
			bpf_cgroup_release(again);
		}
	}
	bpf_cgroup_release(cgrp);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, slice, enq_flags);
}

void BPF_STRUCT_OPS(cg_stopping, struct task_struct *p, bool runnable)
{
	struct cgroup *cgrp = scx_bpf_task_cgroup(p);
	struct cgrp_ctx *c = bpf_cgrp_storage_get(&cgrp_ctxs, cgrp, NULL, 0);

	if (c)
		c->runtime = c->runtime + (SCX_SLICE_DFL - p->scx.slice);
	bpf_cgroup_release(cgrp);
}

SCX_OPS_DEFINE(cgroup_ops,
	       .enqueue = (void *)cg_enqueue,
	       .stopping = (void *)cg_stopping,
	       .init_task = (void *)cg_init_task,
	       .cgroup_init = (void *)cg_cgroup_init,
	       .cgroup_set_weight = (void *)cg_cgroup_set_weight,
	       .cgroup_prep_move = (void *)cg_cgroup_prep_move,
	       .cgroup_move = (void *)cg_cgroup_move,
	       .name = "cgroup");
