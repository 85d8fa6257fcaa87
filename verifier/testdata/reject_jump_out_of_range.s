; expect: reject "jump out of range from insn 1 to 40"
r0 = 0
goto pc+38
exit
