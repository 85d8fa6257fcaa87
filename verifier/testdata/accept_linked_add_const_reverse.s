; expect: accept
; As accept_linked_add_const the other way round: checks of r7 = r8 + 4
; bound r8 to [0, 11] (the kernel's check_add_const).
call bpf_get_prandom_u32
r8 = r0
r7 = r8
r7 += 4
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if r7 > 15 goto out
if r7 < 4 goto out
r0 += r8
r1 = *(u8 *)(r0 +4)
out:
r0 = 0
exit
