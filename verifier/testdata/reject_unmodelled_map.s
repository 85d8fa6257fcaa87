; expect: reject "map progs of type prog_array is not modelled"
; a map of a type schedsim does not simulate (a program array) loads as
; an empty placeholder; any program that references it is not modelled
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:20]
call bpf_map_lookup_elem
r0 = 0
exit
