; expect: reject "invalid write to stack R10 off=-520 size=8"
r1 = 0
*(u64 *)(r10 -520) = r1
r0 = 0
exit
