; expect: accept
; privileged (sched_ext's loader: allow_ptr_leaks, allow_uninit_stack): the kernel accepts it
r0 = r10
exit
