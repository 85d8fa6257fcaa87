; expect: reject "R0 invalid mem access 'scalar'"
r1 = r10
r1 += -8
r2 = 0
r3 = 8
call kfunc bpf_iter_num_new
r1 = r10
r1 += -8
call kfunc bpf_iter_num_next
r2 = *(u32 *)(r0 +0)
r1 = r10
r1 += -8
call kfunc bpf_iter_num_destroy
r0 = 0
exit
