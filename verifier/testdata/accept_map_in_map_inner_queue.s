; expect: accept
; a map-in-map lookup, once NULL-checked, is the inner map (CONST_PTR_TO_MAP
; of the template) and is passed to bpf_map_pop_elem (scx_qmap, scx_pair)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:19]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r0
r2 = r10
r2 += -8
call bpf_map_pop_elem
out:
r0 = 0
exit
