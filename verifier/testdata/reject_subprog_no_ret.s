; expect: reject "R0 !read_ok"
call f
r0 = 0
exit
f:
exit
