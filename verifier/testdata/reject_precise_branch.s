; expect: reject "R9 !read_ok"
; args: u64
; A branch decided by r7's value makes r7 precise: the path with the
; other value must be explored, and reaches the bad instruction.
r6 = *(u64 *)(r1 +0)
r7 = 0
if r6 != 5 goto b
goto join
b:
r7 = 1
join:
r1 = 0
*(u64 *)(r10 -8) = r1
if r7 == 0 goto out
r0 = *(u64 *)(r9 +0)
out:
r0 = 0
exit
