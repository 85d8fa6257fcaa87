; expect: reject "R6 !read_ok"
r6 = 5
call f
r0 = 0
exit
f:
r0 = r6
exit
