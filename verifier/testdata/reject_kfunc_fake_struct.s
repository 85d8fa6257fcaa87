; expect: reject "arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar"
; args: task_struct
; stack memory is no kernel object: a program may pass its own memory
; only for a struct made of scalars (get_kfunc_ptr_arg_type,
; __btf_type_is_scalar_struct); task_struct holds pointers
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -128
call kfunc test_kfunc_plain_task
r0 = 0
exit
