; expect: reject "invalid indirect access to stack R3 off=-8 size=16"
; args: task_struct
; the initial value of bpf_task_storage_get is read for the map's value
; size (16 bytes): 8 initialised bytes are not enough (check_func_arg's
; ARG_PTR_TO_MAP_VALUE with PTR_MAYBE_NULL).
r2 = *(u64 *)(r1 +0)
r3 = 0
*(u64 *)(r10 -8) = r3
r3 = r10
r3 += -8
r1 = map[id:11]
r4 = 1
call bpf_task_storage_get
r0 = 0
exit
