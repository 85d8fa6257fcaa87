; expect: accept
; args: u64
r2 = *(u64 *)(r1 +0)
r0 = 100
r0 /= r2
r0 %= r2
r0 = 0
exit
