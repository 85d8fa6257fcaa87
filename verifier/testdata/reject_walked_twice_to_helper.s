; expect: reject "R2 must be referenced or trusted"
; args: task_struct
; p->parent->parent: walking a bare pointer is untrusted here (the kernel's
; deprecated compat keeps it bare; we are stricter, which is safe)
r6 = *(u64 *)(r1 +0)
r2 = *(u64 *)(r6 +104)
r2 = *(u64 *)(r2 +104)
r1 = map[id:11]
r3 = 0
r4 = 0
call bpf_task_storage_get
r0 = 0
exit
