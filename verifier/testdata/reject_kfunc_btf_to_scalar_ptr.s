; expect: reject "kernel function test_kfunc_u64_ptr args#0 pointer type INT u64 is not supported"
; args: task_struct
; a kernel object passed where a kfunc wants a pointer to a scalar is a
; KF_ARG_PTR_TO_BTF_ID argument, which must point to a struct
; (get_kfunc_ptr_arg_type)
r1 = *(u64 *)(r1 +0)
call kfunc test_kfunc_u64_ptr
r0 = 0
exit
