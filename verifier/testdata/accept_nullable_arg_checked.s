; expect: accept
; args: task_struct?
r6 = *(u64 *)(r1 +0)
if r6 == 0 goto out
r0 = *(u32 *)(r6 +0)
out:
r0 = 0
exit
