; expect: accept
; bpf_map_push_elem reads value_size bytes; bpf_map_pop_elem writes them.
r1 = 7
*(u32 *)(r10 -4) = r1
r1 = map[id:10]
r2 = r10
r2 += -4
r3 = 0
call bpf_map_push_elem
r1 = map[id:10]
r2 = r10
r2 += -8
call bpf_map_pop_elem
if r0 != 0 goto out
r0 = *(u32 *)(r10 -8)
out:
r0 = 0
exit
