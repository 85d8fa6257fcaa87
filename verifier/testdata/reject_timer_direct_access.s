; expect: reject "bpf_timer cannot be accessed directly by load/store"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:9]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 0
*(u64 *)(r0 +8) = r1
out:
r0 = 0
exit
