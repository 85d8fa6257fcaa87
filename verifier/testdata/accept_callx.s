; expect: accept
; args: u64
; callx: a call through a function pointer, to either of two subprograms
r6 = *(u64 *)(r1 +0)
r2 = func add1
if r6 > 10 goto call
r2 = func add2
call:
r1 = r6
callx r2
exit
add1:
r0 = r1
r0 += 1
exit
add2:
r0 = r1
r0 += 2
exit
