; expect: accept
; args: u64
; A 4-byte spill of a register keeps its value (the kernel's narrow spill
; at an 8-byte aligned offset): the fill of the flag decides the branch.
r6 = *(u64 *)(r1 +0)
w2 = 1
if r6 != 0 goto store
w2 = 0
store:
*(u32 *)(r10 -8) = r2
r3 = 0
if r6 == 0 goto keep
r3 = r10
r3 += -16
r4 = 0
*(u64 *)(r10 -16) = r4
keep:
r1 = *(u32 *)(r10 -8)
if w1 == 0 goto out
r0 = *(u64 *)(r3 +0)
out:
r0 = 0
exit
