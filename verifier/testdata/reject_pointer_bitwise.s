; expect: reject "R1 bitwise operator &= on pointer prohibited"
r1 = r10
r1 &= 7
r0 = 0
exit
