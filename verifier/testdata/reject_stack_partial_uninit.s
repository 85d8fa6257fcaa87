; expect: reject "invalid read from stack off -8+4 size 8"
; unpriv
r1 = 1
*(u32 *)(r10 -8) = r1
r0 = *(u64 *)(r10 -8)
exit
