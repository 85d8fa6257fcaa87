; expect: reject "expected=map_ptr"
; the lookup result may be NULL: it is no map until checked
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:19]
call bpf_map_lookup_elem
r1 = r0
r2 = r10
r2 += -8
call bpf_map_pop_elem
r0 = 0
exit
