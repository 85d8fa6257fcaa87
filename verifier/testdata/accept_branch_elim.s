; expect: accept
; the dead branch reads an uninitialised register
r1 = 5
if r1 > 10 goto dead
r0 = 0
exit
dead:
r0 = r9
exit
