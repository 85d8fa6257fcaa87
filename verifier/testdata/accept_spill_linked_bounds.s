; expect: accept
; args: u64
; A spilled register and its fill are linked: bounding the fill bounds
; the register (assign_scalar_id_before_mov on spill).
r6 = *(u64 *)(r1 +0)
*(u64 *)(r10 -8) = r6
r1 = 0
*(u32 *)(r10 -12) = r1
r2 = r10
r2 += -12
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r7 = *(u64 *)(r10 -8)
if r7 > 8 goto out
r0 += r6
r1 = *(u64 *)(r0 +0)
out:
r0 = 0
exit
