; expect: reject "cannot return stack pointer to the caller frame"
call f
r0 = 0
exit
f:
r0 = r10
r0 += -8
exit
