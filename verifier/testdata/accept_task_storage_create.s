; expect: accept
; args: task_struct
; bpf_task_storage_get(map, p, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE)
; returns a map value or NULL.
r2 = *(u64 *)(r1 +0)
r1 = map[id:11]
r3 = 0
r4 = 1
call bpf_task_storage_get
if r0 == 0 goto out
r1 = *(u64 *)(r0 +8)
r1 += 1
*(u64 *)(r0 +8) = r1
out:
r0 = 0
exit
