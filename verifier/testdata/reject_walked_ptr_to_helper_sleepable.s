; expect: reject "R2 must be referenced or trusted"
; args: task_struct
; sleepable
; outside an RCU section the walked pointer is PTR_UNTRUSTED: no helper takes it
r6 = *(u64 *)(r1 +0)
r2 = *(u64 *)(r6 +104)
r1 = map[id:11]
r3 = 0
r4 = 0
call bpf_task_storage_get
r0 = 0
exit
