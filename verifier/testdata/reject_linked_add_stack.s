; expect: reject "invalid variable-offset write to stack R6"
; As accept_linked_add_stack with r7 = r8 + 13: r8 <= 3 lets r7 reach 16,
; past the stack (fp0): without the link r7 would be unbounded.
call bpf_get_prandom_u32
r8 = r0
r1 = 0
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -8) = r1
r7 = r8
r7 += 13
if r8 > 3 goto out
r6 = r10
r6 += -16
r6 += r7
r1 = 1
*(u8 *)(r6 +0) = r1
out:
r0 = 0
exit
