; expect: reject "bpf_rb_node cannot be accessed directly by load/store"
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r6 = r0
r1 = *(u64 *)(r6 +8)
r1 = r6
r2 = 0
call kfunc bpf_obj_drop_impl
out:
r0 = 0
exit
