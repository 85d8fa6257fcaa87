; expect: accept
r1 = 0
*(u64 *)(r10 -256) = r1
call f1
r0 = 0
exit
f1:
r1 = 0
*(u64 *)(r10 -256) = r1
r0 = 0
exit
