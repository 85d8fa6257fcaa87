; expect: reject "arg#0 is trusted_ptr_or_null_ expected ptr_ or socket"
; args: task_struct
; a maybe-NULL pointer is refused by every kfunc (PTR_MAYBE_NULL is an
; unsafe modifier), also without KF_TRUSTED_ARGS
r1 = 1
call kfunc bpf_task_from_pid
r6 = r0
r1 = r0
call kfunc test_kfunc_plain_task
if r6 == 0 goto out
r1 = r6
call kfunc bpf_task_release
out:
r0 = 0
exit
