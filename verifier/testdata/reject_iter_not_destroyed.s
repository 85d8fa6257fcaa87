; expect: reject "Unreleased reference"
r1 = r10
r1 += -8
r2 = 0
r3 = 8
call kfunc bpf_iter_num_new
loop:
r1 = r10
r1 += -8
call kfunc bpf_iter_num_next
if r0 != 0 goto loop
r0 = 0
exit
