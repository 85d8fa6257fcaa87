; expect: accept
; args: task_struct
r6 = *(u64 *)(r1 +0)
r2 = *(u64 *)(r6 +96)
r1 = 2
call kfunc bpf_cpumask_test_cpu
r0 = 0
exit
