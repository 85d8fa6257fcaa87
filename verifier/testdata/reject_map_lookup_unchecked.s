; expect: reject "R0 invalid mem access 'map_value_or_null'"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
r1 = *(u64 *)(r0 +0)
r0 = 0
exit
