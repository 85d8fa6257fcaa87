; expect: reject "doesn't have 2-th argument"
; args: task_struct u64
r2 = *(u64 *)(r1 +16)
r0 = 0
exit
