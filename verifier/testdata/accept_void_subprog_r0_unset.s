; expect: accept
; a static __noinline void function never sets r0; its caller does not
; read r0 after the call (prepare_func_exit copies r0 as it is)
r1 = 1
call fn
r0 = 0
exit
fn:
r1 += 1
exit
