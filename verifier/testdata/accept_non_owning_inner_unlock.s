; expect: accept
; A node of the tree stays valid across the release of an unrelated
; inner lock: only its own lock's release ends it.
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:6]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = map[id:4][0]+0
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 8
call kfunc bpf_rbtree_first
if r0 == 0 goto unlock
r6 = r0
r1 = map[id:4][0]+4
call bpf_spin_lock
r1 = map[id:4][0]+4
call bpf_spin_unlock
r1 = *(u64 *)(r6 -8)
unlock:
r1 = r9
call bpf_spin_unlock
out:
r0 = 0
exit
