; expect: reject "R0 unbounded memory access"
; As accept_mov32_links, but the source may exceed 32 bits: w7 = w8 is
; not r8, they are not linked, and a check of r8 says nothing of r7 here.
call bpf_get_prandom_u32
r8 = r0
r8 <<= 32
r8 |= r0
w7 = w8
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if r8 > 15 goto out
r0 += r7
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
