/* cssiter_norcu.bpf.c: a broken policy. Its ops.init is sleepable and
 * walks the cgroups with the css iterator outside bpf_rcu_read_lock(): the
 * verifier rejects it ("expected an RCU CS when using bpf_iter_css_next"),
 * as Linux 6.12 does. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 nr_seen;

s32 BPF_STRUCT_OPS_SLEEPABLE(norcu_init)
{
	struct cgroup_subsys_state *pos;
	struct cgroup *root = bpf_cgroup_from_id(1);

	if (!root)
		return -ENOENT;
	bpf_for_each(css, pos, &root->self, BPF_CGROUP_ITER_DESCENDANTS_PRE)
		nr_seen++;
	bpf_cgroup_release(root);
	return 0;
}

SCX_OPS_DEFINE(norcu_ops,
	       .init = (void *)norcu_init,
	       .name = "cssiter_norcu");
