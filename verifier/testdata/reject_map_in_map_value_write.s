; expect: reject "R0 invalid mem access 'map_ptr'"
; the value of a map-in-map is the inner map, not memory: no store into it
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:19]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 7
*(u32 *)(r0 +0) = r1
out:
r0 = 0
exit
