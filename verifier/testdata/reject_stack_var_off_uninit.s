; expect: reject "invalid read from stack R1 var_off"
; unpriv
; args: u64
r2 = *(u64 *)(r1 +0)
r2 &= 8
r1 = r10
r1 += -16
r1 += r2
r0 = *(u64 *)(r1 +0)
exit
