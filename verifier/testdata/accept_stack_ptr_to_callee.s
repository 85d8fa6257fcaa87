; expect: accept
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call f
r0 = *(u64 *)(r10 -8)
r0 = 0
exit
f:
r2 = 7
*(u64 *)(r1 +0) = r2
r0 = 0
exit
