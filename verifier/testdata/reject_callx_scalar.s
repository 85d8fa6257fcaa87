; expect: reject "callx r2: R2 type=scalar expected=func"
; callx through a number is not a call of a subprogram
r2 = 5
callx r2
r0 = 0
exit
