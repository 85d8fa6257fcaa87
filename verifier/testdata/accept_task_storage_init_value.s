; expect: accept
; args: task_struct
; bpf_task_storage_get(map, p, &init, F_CREATE): the initial value may be
; on the stack (ARG_PTR_TO_MAP_VALUE_OR_NULL takes every mem_types pointer),
; initialised for the map's value size (16 bytes), as scx_pandemonium's
; ensure_task_ctx passes a zeroed struct on the stack.
r2 = *(u64 *)(r1 +0)
r3 = 0
*(u64 *)(r10 -16) = r3
*(u64 *)(r10 -8) = r3
r3 = r10
r3 += -16
r1 = map[id:11]
r4 = 1
call bpf_task_storage_get
r0 = 0
exit
