; expect: reject "At callback return the register R0"
r1 = 10
r2 = func cb
r3 = 0
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r0 = 7
exit
