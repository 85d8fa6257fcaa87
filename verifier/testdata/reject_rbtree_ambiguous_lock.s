; expect: reject "cannot tell which of 2 locks protects it"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:15]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 8
call kfunc bpf_rbtree_first
r1 = r9
call bpf_spin_unlock
out:
r0 = 0
exit
