; expect: reject "Possibly NULL pointer passed to trusted arg0"
r1 = 1
call kfunc bpf_task_from_pid
r1 = r0
call kfunc bpf_task_release
r0 = 0
exit
