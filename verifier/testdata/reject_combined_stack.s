; expect: reject "combined stack size of 3 calls is 576. Too large"
r1 = 0
*(u64 *)(r10 -192) = r1
call f1
r0 = 0
exit
f1:
r1 = 0
*(u64 *)(r10 -192) = r1
call f2
r0 = 0
exit
f2:
r1 = 0
*(u64 *)(r10 -192) = r1
r0 = 0
exit
