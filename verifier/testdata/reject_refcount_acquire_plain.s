; expect: reject "arg#0 doesn't point to a type with bpf_refcount field"
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r6 = r0
r1 = r0
r2 = 0
call kfunc bpf_refcount_acquire_impl
out:
r0 = 0
exit
