; expect: reject "arg#0 is untrusted_ptr_ expected ptr_ or socket"
; args: task_struct
; a kfunc without KF_TRUSTED_ARGS or KF_RCU still refuses an untrusted
; pointer (p->parent->parent: p->parent, read in an RCU
; section, is the kernel's bare PTR_TO_BTF_ID, which such a kfunc takes): bpf_type_has_unsafe_modifiers in check_kfunc_args
r6 = *(u64 *)(r1 +0)
r1 = *(u64 *)(r6 +104)
r1 = *(u64 *)(r1 +104)
call kfunc test_kfunc_plain_task
r0 = 0
exit
