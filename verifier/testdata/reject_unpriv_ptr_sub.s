; expect: reject "R9 pointer -= pointer prohibited"
; unpriv
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
r9 = r10
r9 -= r0
r0 = 0
exit
