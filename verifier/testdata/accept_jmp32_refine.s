; expect: accept
; args: u32
r6 = *(u32 *)(r1 +0)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if w6 > 15 goto out
r0 += r6
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
