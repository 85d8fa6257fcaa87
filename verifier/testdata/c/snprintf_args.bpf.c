//go:build ignore

/* expect: reject "Invalid format string" in sna_enqueue
 * The format has two conversions, the data one u64
 * (check_bpf_snprintf_call: num_args = data_len / 8 must match). */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

static const char fmt[] = "pid %d cpu %u";
u64 first;

void BPF_STRUCT_OPS(sna_enqueue, struct task_struct *p, u64 enq_flags)
{
	char buf[32];
	u64 args[1] = { p->pid };

	if (bpf_snprintf(buf, sizeof(buf), fmt, args, sizeof(args)) > 0)
		first = buf[0];
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SCX_OPS_DEFINE(sna_ops,
	       .enqueue = (void *)sna_enqueue,
	       .name = "sna");
