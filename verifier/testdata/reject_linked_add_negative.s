; expect: reject "math between map_value pointer and register with unbounded min value is not allowed"
; Only offsets in [0, S32_MAX] keep the link (the kernel's bound against
; overflow in sync_linked_regs): r7 = r8 - 1 is not linked to r8.
call bpf_get_prandom_u32
r8 = r0
r7 = r8
r7 += -1
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if r8 > 12 goto out
if r8 < 1 goto out
r0 += r7
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
