; expect: reject "only read is supported: write to struct task_struct off=0 size=4"
; args: task_struct
r6 = *(u64 *)(r1 +0)
r1 = 7
*(u32 *)(r6 +0) = r1
r0 = 0
exit
