; expect: reject "R1 must be referenced or trusted"
; args: task_struct
r6 = *(u64 *)(r1 +0)
r1 = *(u64 *)(r6 +104)
call kfunc bpf_task_acquire
if r0 == 0 goto out
r1 = r0
call kfunc bpf_task_release
out:
r0 = 0
exit
