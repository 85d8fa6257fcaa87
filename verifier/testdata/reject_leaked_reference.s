; expect: reject "Unreleased reference id=1 alloc_insn=1"
r1 = 1
call kfunc bpf_task_from_pid
r0 = 0
exit
