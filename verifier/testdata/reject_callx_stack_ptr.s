; expect: reject "expected=func"
r2 = r10
callx r2
r0 = 0
exit
