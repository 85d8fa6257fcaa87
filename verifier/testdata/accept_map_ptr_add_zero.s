; expect: accept
; a map pointer plus a known 0 is still the map pointer (adjust_ptr_min_max_vals)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
r3 = 0
r1 += r3
call bpf_map_lookup_elem
r0 = 0
exit
