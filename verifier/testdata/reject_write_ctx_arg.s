; expect: reject "invalid bpf_context access off=8 size=8"
; args: task_struct u64
r2 = 0
*(u64 *)(r1 +8) = r2
r0 = 0
exit
