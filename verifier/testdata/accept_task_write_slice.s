; expect: accept
; args: task_struct u64
; void
r6 = *(u64 *)(r1 +0)
r1 = 20000000
*(u64 *)(r6 +40) = r1
r2 = *(u64 *)(r6 +32)
r2 += 100
*(u64 *)(r6 +32) = r2
r1 = 1
*(u8 *)(r6 +52) = r1
exit
