; expect: reject "invalid access to map value, value_size=16 off=8 size=16"
; args: task_struct
; a map value as the initial value: its value_size bytes from the pointer
; must lie inside the value (8 bytes into a 16-byte value is not).
r6 = *(u64 *)(r1 +0)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r3 = r0
r3 += 8
r2 = r6
r1 = map[id:11]
r4 = 1
call bpf_task_storage_get
out:
r0 = 0
exit
