; expect: reject "pointer arithmetic on map_value_or_null prohibited, null-check it first"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
r0 += 4
r0 = 0
exit
