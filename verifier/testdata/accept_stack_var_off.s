; expect: accept
; args: u64
r2 = *(u64 *)(r1 +0)
r3 = 0
*(u64 *)(r10 -8) = r3
*(u64 *)(r10 -16) = r3
r2 &= 8
r1 = r10
r1 += -16
r1 += r2
r0 = *(u64 *)(r1 +0)
r0 = 0
exit
