; expect: reject "write into map forbidden"
; bpf_map_update_elem on a BPF_F_RDONLY_PROG map (check_map_func_compatibility)
r1 = 0
*(u32 *)(r10 -4) = r1
*(u64 *)(r10 -24) = r1
*(u64 *)(r10 -16) = r1
r2 = r10
r2 += -4
r3 = r10
r3 += -24
r4 = 0
r1 = map[id:17]
call bpf_map_update_elem
r0 = 0
exit
