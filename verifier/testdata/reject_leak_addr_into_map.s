; expect: reject "R10 leaks addr into map"
; unpriv
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
*(u64 *)(r0 +0) = r10
out:
r0 = 0
exit
