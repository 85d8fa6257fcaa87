; expect: reject "jump out of range from insn 1 to 4"
r0 = 0
if r0 == 0 goto f
call f
exit
f:
r0 = 0
exit
