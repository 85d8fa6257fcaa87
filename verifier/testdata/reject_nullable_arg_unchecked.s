; expect: reject "R6 invalid mem access 'trusted_ptr_or_null_'"
; args: task_struct?
r6 = *(u64 *)(r1 +0)
r0 = *(u32 *)(r6 +0)
r0 = 0
exit
