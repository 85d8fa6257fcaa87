; expect: reject "invalid read from stack off -8+0 size 8"
; unpriv
r0 = *(u64 *)(r10 -8)
exit
