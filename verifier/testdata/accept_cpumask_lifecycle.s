; expect: accept
call kfunc bpf_cpumask_create
if r0 == 0 goto out
r6 = r0
r1 = 3
r2 = r6
call kfunc bpf_cpumask_set_cpu
r1 = r6
call kfunc bpf_cpumask_release
out:
r0 = 0
exit
