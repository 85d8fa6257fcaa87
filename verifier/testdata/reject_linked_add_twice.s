; expect: reject "math between map_value pointer and register with unbounded min value is not allowed"
; A second constant addition breaks the link (one offset per register, as
; in the kernel): the check of r8 says nothing of r7.
call bpf_get_prandom_u32
r8 = r0
r7 = r8
r7 += 2
r7 += 2
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if r8 > 11 goto out
r0 += r7
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
