; expect: reject "access beyond struct task_struct at off 128 size 8"
; args: task_struct
r6 = *(u64 *)(r1 +0)
r0 = *(u64 *)(r6 +128)
r0 = 0
exit
