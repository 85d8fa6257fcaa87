; expect: reject "R1 subtraction from stack pointer prohibited"
; no subtraction from a stack pointer, not even of a constant (the
; kernel's "invalid fp arithmetic"); clang writes r1 += -8
r0 = 0
r1 = r10
r1 -= 8
*(u64 *)(r1 +0) = r0
exit
