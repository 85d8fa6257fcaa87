; expect: reject "Unreleased reference"
; args: u64
r6 = *(u64 *)(r1 +0)
r1 = 1
call kfunc bpf_task_from_pid
if r0 == 0 goto out
if r6 > 10 goto out
r1 = r0
call kfunc bpf_task_release
out:
r0 = 0
exit
