; expect: reject "R2 type=scalar expected=ptr_bpf_cpumask"
call kfunc bpf_cpumask_create
if r0 == 0 goto out
r6 = r0
r1 = r6
call kfunc bpf_cpumask_release
r1 = 3
r2 = r6
call kfunc bpf_cpumask_set_cpu
out:
r0 = 0
exit
