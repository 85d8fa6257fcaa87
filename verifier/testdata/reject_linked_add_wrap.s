; expect: reject "value -2147483647 makes map_value pointer be out of bounds"
; The offset moves bounds with 64-bit wrapping: r7 = r8 + S32_MAX in
; [0, 15] leaves r8 near 2^64, not small.
call bpf_get_prandom_u32
r8 = r0
r8 <<= 32
r8 |= r0
r7 = r8
r7 += 0x7fffffff
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if r7 > 15 goto out
r0 += r8
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
