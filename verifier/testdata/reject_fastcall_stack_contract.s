; expect: reject "combined stack size of 2 calls is 528. Too large"
; as accept_fastcall_stack_depth.s, but the callee also reads the pattern's
; slot outside the pattern: the kernel keeps the pair (the bpf_fastcall
; stack contract is broken) and the chain needs 512 + 16 bytes
r1 = 42
*(u64 *)(r10 -512) = r1
call sub
r0 = 0
exit
sub:
*(u64 *)(r10 -8) = r1
call bpf_get_smp_processor_id
r1 = *(u64 *)(r10 -8)
r0 = *(u64 *)(r10 -8)
r0 = 0
exit
