; expect: reject "R10 sign-extension part of pointer"
; unpriv
r8 = (s8)r10
r0 = 0
exit
