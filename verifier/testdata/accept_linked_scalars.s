; expect: accept
; the bounds check on r7 also bounds its copy r6
; args: u64
r6 = *(u64 *)(r1 +0)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r7 = r6
if r7 > 8 goto out
r0 += r6
r1 = *(u64 *)(r0 +0)
out:
r0 = 0
exit
