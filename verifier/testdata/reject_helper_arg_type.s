; expect: reject "R1 type=scalar expected=map_ptr"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = 5
call bpf_map_lookup_elem
r0 = 0
exit
