; expect: reject "invalid indirect read from stack R2 off -8+0 size 4"
; unpriv
r1 = map[id:10]
r2 = r10
r2 += -8
r3 = 0
call bpf_map_push_elem
r0 = 0
exit
