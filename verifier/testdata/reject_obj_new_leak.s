; expect: reject "Unreleased reference"
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
r0 = 0
exit
