; expect: accept
r1 = 5
call add1
r0 = 0
exit
add1:
r0 = r1
r0 += 1
exit
