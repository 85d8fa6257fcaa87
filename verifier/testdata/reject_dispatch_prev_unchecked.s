; expect: reject "R1 invalid mem access 'trusted_ptr_or_null_'"
; ops.dispatch(cpu, prev): prev is NULL when the CPU was idle (ext.c's
; sched_ext_ops__dispatch stub: prev__nullable); read it unchecked
; args: u32 task_struct?
; void
r1 = *(u64 *)(r1 +8)
r0 = *(u32 *)(r1 +0)
exit
