; expect: accept
; a helper writes the buffer, which is then readable
; args: task_struct
r3 = *(u64 *)(r1 +0)
r1 = r10
r1 += -16
r2 = 16
call bpf_probe_read_kernel
r0 = *(u64 *)(r10 -16)
r0 = 0
exit
