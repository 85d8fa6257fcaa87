; expect: reject "R1 is not a scalar"
r1 = r10
call kfunc scx_bpf_kick_cpu
r0 = 0
exit
