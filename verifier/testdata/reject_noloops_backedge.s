; expect: reject "back-edge from insn 2 to 1"
; noloops
r1 = 0
l:
r1 += 1
if r1 < 10 goto l
r0 = 0
exit
