; expect: reject "bpf_spin_lock at off=24 must be held for bpf_rb_root"
; Two roots, each beside its own lock: the lock of the other does not do.
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:14]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r6 = r0
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 32
r2 = r6
r2 += 8
r3 = func less
r4 = 0
r5 = 0
call kfunc bpf_rbtree_add_impl
r1 = r9
call bpf_spin_unlock
out:
r0 = 0
exit
less:
r0 = 0
exit
