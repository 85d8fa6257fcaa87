; expect: reject "allocated object must be referenced"
; A node already added (non-owning) cannot be added again.
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
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 24
r2 = r6
r2 += 40
call kfunc bpf_list_push_back_impl
r1 = r9
r1 += 24
r2 = r6
r2 += 40
call kfunc bpf_list_push_front_impl
r1 = r9
call bpf_spin_unlock
out:
r0 = 0
exit
