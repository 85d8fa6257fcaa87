; expect: accept
; A refcounted node in a tree and held by the program at once: the
; program removes it with its own (owning) reference.
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:13]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = $RNODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r6 = r0
r1 = r0
r2 = 0
call kfunc bpf_refcount_acquire_impl
if r0 == 0 goto drop6
r7 = r0
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 8
r2 = r6
r3 = func less
r4 = 0
r5 = 0
call kfunc bpf_rbtree_add_impl
r1 = r9
call bpf_spin_unlock
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 8
r2 = r7
call kfunc bpf_rbtree_remove
r8 = r0
r1 = r9
call bpf_spin_unlock
r1 = r7
r2 = 0
call kfunc bpf_obj_drop_impl
if r8 == 0 goto out
r1 = r8
r2 = 0
call kfunc bpf_obj_drop_impl
goto out
drop6:
r1 = r6
r2 = 0
call kfunc bpf_obj_drop_impl
out:
r0 = 0
exit
less:
r3 = *(u64 *)(r1 +40)
r4 = *(u64 *)(r2 +40)
r0 = 1
if r3 < r4 goto lt
r0 = 0
lt:
exit
