; expect: reject "expected an initialized iter_num as arg #0"
r1 = r10
r1 += -8
call kfunc bpf_iter_num_next
r0 = 0
exit
