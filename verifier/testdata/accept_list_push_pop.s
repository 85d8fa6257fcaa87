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
r1 = r9
call bpf_spin_lock
r1 = r9
r1 += 24
r2 = r6
r2 += 40
r3 = 0
r4 = 0
call kfunc bpf_list_push_back_impl
r1 = r9
r1 += 24
call kfunc bpf_list_pop_front
r6 = r0
r1 = r9
call bpf_spin_unlock
if r6 == 0 goto out
r1 = r6
r1 += -40
r2 = 0
call kfunc bpf_obj_drop_impl
out:
r0 = 0
exit
