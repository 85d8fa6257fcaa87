; expect: reject "misaligned value access off 0+0+3 size 4"
; atomics are always strictly aligned (check_atomic, verifier.c 6.12)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u32 *)(r0 +3) += r1
out:
r0 = 0
exit
