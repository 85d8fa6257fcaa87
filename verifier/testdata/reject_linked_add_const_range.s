; expect: reject "R0 max value is outside of the allowed memory range"
; As accept_linked_add_const with offset 8: r8 <= 11 makes r7 = r8 + 8 at
; most 19, past the 16-byte value.
call bpf_get_prandom_u32
r8 = r0
r7 = r8
r7 += 8
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
