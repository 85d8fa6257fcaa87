; expect: reject "R9 !read_ok"
; args: u64
; At a variable offset a read-only value is not one constant.
r6 = *(u64 *)(r1 +0)
r6 &= 8
r1 = map[id:5][0]+0
r1 += r6
r2 = *(u32 *)(r1 +0)
if r2 != 3 goto bad
r0 = 0
exit
bad:
r0 = *(u64 *)(r9 +0)
exit
