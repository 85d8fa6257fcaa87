; expect: reject "invalid kptr access, R2 type=ptr_node_data expected=ptr_bpf_cpumask"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r6 = r0
r2 = r0
r1 = r9
r1 += 8
call bpf_kptr_xchg
out:
r0 = 0
exit
