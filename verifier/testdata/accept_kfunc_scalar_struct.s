; expect: accept
; a struct of scalars (struct val { u64 a, b; }) may be built on the stack
; and passed to a kfunc by address, initialised for its 16 bytes
r1 = 0
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -16
call kfunc test_kfunc_scalar_struct
r0 = 0
exit
