; expect: accept
; args: task_struct
r6 = *(u64 *)(r1 +0)
r0 = *(u32 *)(r6 +0)
r1 = *(u8 *)(r6 +8)
r2 = *(u64 *)(r6 +104)
if r2 == 0 goto out
r0 = *(u32 *)(r2 +0)
out:
r0 = 0
exit
