; expect: accept
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r1 = 5
*(u64 *)(r0 +64) = r1
r1 = *(u64 *)(r0 +0)
r1 = r0
r2 = 0
call kfunc bpf_obj_drop_impl
out:
r0 = 0
exit
