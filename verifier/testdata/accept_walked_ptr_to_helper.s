; expect: accept
; args: task_struct
; p->parent read through a trusted task in a non-sleepable program is a bare
; PTR_TO_BTF_ID (check_ptr_to_btf_access), which helpers take
; (scx_flatcg and scx_flash pass args->cgroup to bpf_cgrp_storage_get)
r6 = *(u64 *)(r1 +0)
r2 = *(u64 *)(r6 +104)
r1 = map[id:11]
r3 = 0
r4 = 0
call bpf_task_storage_get
r0 = 0
exit
