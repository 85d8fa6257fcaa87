; expect: reject "R0 leaks addr as return value"
; unpriv
r0 = r10
exit
