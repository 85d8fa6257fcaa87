; expect: reject "R3 !read_ok"
r1 = 10
r2 = func cb
r3 = 0
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r0 = r3
r0 = 0
exit
