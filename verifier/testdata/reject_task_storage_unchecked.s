; expect: reject "R0 invalid mem access 'map_value_or_null'"
; args: task_struct
r2 = *(u64 *)(r1 +0)
r1 = map[id:11]
r3 = 0
r4 = 1
call bpf_task_storage_get
r1 = *(u64 *)(r0 +8)
r0 = 0
exit
