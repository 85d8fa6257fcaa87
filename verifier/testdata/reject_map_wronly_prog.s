; expect: reject "read from map forbidden, value_size=16 off=0 size=8"
; a map created with BPF_F_WRONLY_PROG (check_map_access_type, verifier.c 6.12)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:16]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
r0 = *(u64 *)(r0 +0)
out:
r0 = 0
exit
