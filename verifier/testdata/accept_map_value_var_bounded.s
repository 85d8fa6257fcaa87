; expect: accept
; args: u64
r6 = *(u64 *)(r1 +0)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 &= 7
r0 += r6
r1 = *(u64 *)(r0 +0)
out:
r0 = 0
exit
