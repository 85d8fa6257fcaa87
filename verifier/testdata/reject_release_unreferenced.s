; expect: reject "release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID"
; args: task_struct
r1 = *(u64 *)(r1 +0)
call kfunc bpf_task_release
r0 = 0
exit
