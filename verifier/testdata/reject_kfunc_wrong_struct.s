; expect: reject "expected pointer to STRUCT bpf_cpumask but R2 has a pointer to STRUCT task_struct"
; args: task_struct
r2 = *(u64 *)(r1 +0)
r1 = 2
call kfunc bpf_cpumask_set_cpu
r0 = 0
exit
