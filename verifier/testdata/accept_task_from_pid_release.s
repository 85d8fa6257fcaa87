; expect: accept
r1 = 1
call kfunc bpf_task_from_pid
if r0 == 0 goto out
r1 = r0
call kfunc bpf_task_release
out:
r0 = 0
exit
