; expect: accept
; accept_linked_add_const on the stack (and a seed of FuzzSoundness, whose
; environment has no maps): the check of r8 bounds r7 = r8 + 4 to [4, 7],
; a byte of fp-16..fp-9.
call bpf_get_prandom_u32
r8 = r0
r1 = 0
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -8) = r1
r7 = r8
r7 += 4
if r8 > 3 goto out
r6 = r10
r6 += -16
r6 += r7
r1 = 1
*(u8 *)(r6 +0) = r1
out:
r0 = 0
exit
