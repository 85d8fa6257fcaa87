; expect: reject "same insn cannot be used with different pointers"
; one load through the context on one path and the stack on another
; (save_aux_ptr_type); the kernel rewrites context loads per instruction
; args: u64
r6 = r1
r1 = 0
*(u64 *)(r10 -8) = r1
r7 = r10
r7 += -8
call bpf_get_prandom_u32
if r0 == 0 goto l
r7 = r6
l:
r0 = *(u64 *)(r7 +0)
r0 = 0
exit
