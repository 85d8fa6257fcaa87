; expect: reject "AA deadlock detected"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:7]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = r6
call kfunc bpf_res_spin_lock
if r0 != 0 goto out
r1 = r6
call kfunc bpf_res_spin_lock
out:
r0 = 0
exit
