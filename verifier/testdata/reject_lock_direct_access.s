; expect: reject "bpf_spin_lock cannot be accessed directly by load/store"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:2]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = *(u32 *)(r6 +8)
out:
r0 = 0
exit
