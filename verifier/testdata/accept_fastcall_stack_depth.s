; expect: accept
; bpf_fastcall (cumulative_stack_depth in the kernel's selftests): main uses
; all 512 bytes; the callee's only stack use is the spill/fill pair clang
; puts around bpf_get_smp_processor_id, which the kernel removes, so the
; callee's stack depth is 0 and the chain fits in 512 bytes
r1 = 42
*(u64 *)(r10 -512) = r1
call sub
r0 = 0
exit
sub:
*(u64 *)(r10 -8) = r1
call bpf_get_smp_processor_id
r1 = *(u64 *)(r10 -8)
r0 = 0
exit
