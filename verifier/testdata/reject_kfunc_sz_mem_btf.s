; expect: reject "kernel function scx_bpf_exit_bstr args#2 pointer type INT u64 is not supported"
; args: task_struct
; a kernel object is no memory argument of a kfunc, even sized by a
; __sz argument: get_kfunc_ptr_arg_type makes any PTR_TO_BTF_ID a
; KF_ARG_PTR_TO_BTF_ID argument, which must point to a struct
r6 = *(u64 *)(r1 +0)
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = 1
r2 = r10
r2 += -8
r3 = r6
r4 = 8
call kfunc scx_bpf_exit_bstr
r0 = 0
exit
