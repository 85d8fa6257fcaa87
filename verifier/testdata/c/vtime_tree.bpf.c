//go:build ignore

/* expect: accept
 * A weighted-vtime policy on an rbtree under a spin lock, with bpf_for
 * loops over CPUs, bounded loops and a may_goto-free nested lock. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct node {
	struct bpf_rb_node rb;
	u64 vtime;
	s32 pid;
};

private(tree) struct bpf_spin_lock tree_lock;
private(tree) struct bpf_rb_root tree_root __contains(node, rb);
private(stats) struct bpf_spin_lock stats_lock;
private(stats) u64 nr_queued;

u64 cpu_load[64];

static bool node_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	struct node *na = container_of(a, struct node, rb);
	struct node *nb = container_of(b, struct node, rb);

	return na->vtime < nb->vtime;
}

void BPF_STRUCT_OPS(vt_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct node *n = bpf_obj_new(struct node);

	if (!n)
		return;
	n->vtime = p->scx.dsq_vtime;
	n->pid = p->pid;
	bpf_spin_lock(&tree_lock);
	bpf_rbtree_add(&tree_root, &n->rb, node_less);
	bpf_spin_lock(&stats_lock);
	nr_queued++;
	bpf_spin_unlock(&stats_lock);
	bpf_spin_unlock(&tree_lock);
	p->scx.slice = SCX_SLICE_DFL;
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(vt_dispatch, s32 cpu, struct task_struct *prev)
{
	struct bpf_rb_node *rb;
	struct node *n;
	u64 total = 0;
	s32 i;

	bpf_for(i, 0, 64)
		total += cpu_load[i];
	for (i = 0; i < 16; i++)
		total += cpu_load[i & 63] >> 1;
	if (cpu >= 0 && cpu < 64)
		cpu_load[cpu] = total;

	bpf_spin_lock(&tree_lock);
	rb = bpf_rbtree_first(&tree_root);
	if (!rb) {
		bpf_spin_unlock(&tree_lock);
		return;
	}
	rb = bpf_rbtree_remove(&tree_root, rb);
	bpf_spin_unlock(&tree_lock);
	if (!rb)
		return;
	n = container_of(rb, struct node, rb);
	bpf_obj_drop(n);
}

SCX_OPS_DEFINE(vt_ops,
	       .enqueue = (void *)vt_enqueue,
	       .dispatch = (void *)vt_dispatch,
	       .name = "vtime_tree");
