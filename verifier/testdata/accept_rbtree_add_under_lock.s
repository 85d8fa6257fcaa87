; expect: accept
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:6]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r6 = r0
r1 = 42
*(u64 *)(r6 +0) = r1
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 8
r2 = r6
r2 += 8
r3 = func less
r4 = 0
r5 = 0
call kfunc bpf_rbtree_add_impl
r1 = r9
r1 += 8
call kfunc bpf_rbtree_first
if r0 == 0 goto unlock
r1 = r9
r1 += 8
r2 = r0
call kfunc bpf_rbtree_remove
if r0 == 0 goto unlock
r6 = r0
r1 = r9
call bpf_spin_unlock
r1 = r6
r1 += -8
r2 = 0
call kfunc bpf_obj_drop_impl
goto out
unlock:
r1 = r9
call bpf_spin_unlock
out:
r0 = 0
exit
less:
r3 = *(u64 *)(r1 -8)
r4 = *(u64 *)(r2 -8)
r0 = 1
if r3 < r4 goto lt
r0 = 0
lt:
exit
