; expect: reject "R0 !read_ok"
; the caller reads the r0 a void function never set
r1 = 1
call fn
exit
fn:
r1 += 1
exit
