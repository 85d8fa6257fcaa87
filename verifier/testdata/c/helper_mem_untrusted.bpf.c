//go:build ignore

/* expect: reject "R1 type=rcu_ptr_ expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_" in hmu_enqueue
 * Only a trusted kernel object is memory for a helper: p->real_parent is
 * an RCU pointer (BTF_TYPE_SAFE_RCU), not trusted (check_reg_type). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 named;

void BPF_STRUCT_OPS(hmu_enqueue, struct task_struct *p, u64 enq_flags)
{
	if (bpf_strncmp(p->real_parent->comm, 8, "schedsim") == 0)
		named++;
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(hmu_ops,
	       .enqueue = (void *)hmu_enqueue,
	       .name = "hmu");
