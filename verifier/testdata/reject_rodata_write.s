; expect: reject "write into map forbidden, value_size=16 off=0 size=8"
r1 = map[id:5][0]+0
r2 = 1
*(u64 *)(r1 +0) = r2
r0 = 0
exit
