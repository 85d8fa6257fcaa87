; expect: reject "R9 !read_ok"
; args: u64
; A 4-byte store at the top half of a slot ends the spill below it: the
; value read back is no longer known.
r6 = 1
*(u64 *)(r10 -8) = r6
r7 = *(u64 *)(r1 +0)
*(u32 *)(r10 -4) = r7
r1 = *(u32 *)(r10 -8)
if r1 != 1 goto bad
r0 = 0
exit
bad:
r0 = *(u64 *)(r9 +0)
exit
