; expect: accept
; Walk a tree from its root with bpf_rbtree_root/left/right (6.16).
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:6]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 8
call kfunc bpf_rbtree_root
if r0 == 0 goto unlock
r6 = r0
r1 = r9
r1 += 8
r2 = r6
call kfunc bpf_rbtree_left
if r0 == 0 goto unlock
r1 = *(u64 *)(r0 -8)
r1 = r9
r1 += 8
r2 = r6
call kfunc bpf_rbtree_right
unlock:
r1 = r9
call bpf_spin_unlock
out:
r0 = 0
exit
