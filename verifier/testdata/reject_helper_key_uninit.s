; expect: reject "invalid indirect read from stack R2 off -4+0 size 4"
; unpriv
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
r0 = 0
exit
