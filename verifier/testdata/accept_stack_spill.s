; expect: accept
r1 = 42
*(u64 *)(r10 -8) = r1
r0 = *(u64 *)(r10 -8)
if r0 != 42 goto bad
r0 = 0
exit
bad:
r0 = *(u64 *)(r10 -16)
exit
