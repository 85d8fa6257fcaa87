//go:build ignore

/* expect: reject "expected an RCU CS when using bpf_iter_css_next" in ciu_init
 * A css iterator made inside bpf_rcu_read_lock() becomes unusable at the
 * unlock (MEM_RCU turns PTR_UNTRUSTED): its next() after the unlock is
 * refused, as Linux 6.12's process_iter_arg does. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 seen;

s32 BPF_STRUCT_OPS_SLEEPABLE(ciu_init)
{
	struct cgroup *root = bpf_cgroup_from_id(1);
	struct bpf_iter_css it;

	if (!root)
		return -ENOENT;
	bpf_rcu_read_lock();
	bpf_iter_css_new(&it, &root->self, BPF_CGROUP_ITER_DESCENDANTS_PRE);
	bpf_rcu_read_unlock();
	if (bpf_iter_css_next(&it))
		seen++;
	bpf_iter_css_destroy(&it);
	bpf_cgroup_release(root);
	return 0;
}

SCX_OPS_DEFINE(ciu_ops,
	       .init = (void *)ciu_init,
	       .name = "ciu");
