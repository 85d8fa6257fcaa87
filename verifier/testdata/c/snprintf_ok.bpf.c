//go:build ignore

/* expect: accept
 * bpf_snprintf (helper 165, as scx_layered's init names its layers): the
 * format is a constant string in .rodata with one u64 per conversion
 * (check_bpf_snprintf_call); the output buffer on the stack is written by
 * the helper, so reading it afterwards is reading initialised bytes. */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

u64 first;

void BPF_STRUCT_OPS(sn_enqueue, struct task_struct *p, u64 enq_flags)
{
	char buf[32];
	long n;

	n = BPF_SNPRINTF(buf, sizeof(buf), "pid %d cpu %u", p->pid, scx_bpf_task_cpu(p));
	if (n > 0)
		first = buf[0];
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(sn_ops,
	       .enqueue = (void *)sn_enqueue,
	       .name = "sn");
