; expect: reject "R1 type=scalar expected=ptr_task_struct"
r1 = 1
call kfunc bpf_task_from_pid
if r0 == 0 goto out
r6 = r0
r1 = r6
call kfunc bpf_task_release
r1 = r6
call kfunc bpf_task_release
out:
r0 = 0
exit
