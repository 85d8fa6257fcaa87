; expect: accept
call bpf_get_current_task_btf
r0 = *(u32 *)(r0 +0)
r0 = 0
exit
