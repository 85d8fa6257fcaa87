; expect: reject "R0 max value is outside of the allowed memory range"
; (u32)1 << 32 is undefined: the verifier knows nothing of the result
; (is_safe_to_compute_dst_reg_range), so r1 & 0xffff may be 0xffff
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r2 = 32
r1 = 1
w1 <<= w2
r1 &= 0xffff
r0 += r1
r0 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
