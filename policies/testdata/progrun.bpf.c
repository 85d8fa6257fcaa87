/*
 * progrun.bpf.c: a scheduler ended by one of its SEC("syscall") programs
 * run after attach, as user space does with BPF_PROG_RUN (the kernel's
 * prog_run selftest): scx_bpf_exit() there is SCX_EXIT_UNREG_BPF, and
 * ops.exit records it. For TestSyscallAfterAttachEndsScheduler. With
 * init_ret set, ops.init fails with it, which also ends the scheduler at
 * attach with SCX_EXIT_ERROR (TestOpsInitFailureEjects).
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

UEI_DEFINE(uei);
u64 stop_runs;
const volatile s32 init_ret;

SEC("syscall")
int stop_sched(void *ctx)
{
	stop_runs++;
	scx_bpf_exit(42, "stopped from %s", "BPF_PROG_RUN");
	return 0;
}

void BPF_STRUCT_OPS(progrun_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(progrun_exit, struct scx_exit_info *ei)
{
	UEI_RECORD(uei, ei);
}

s32 BPF_STRUCT_OPS_SLEEPABLE(progrun_init)
{
	return init_ret;
}

SCX_OPS_DEFINE(progrun_ops,
	       .init = (void *)progrun_init,
	       .enqueue = (void *)progrun_enqueue,
	       .exit = (void *)progrun_exit,
	       .name = "progrun");
