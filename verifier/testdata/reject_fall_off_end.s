; expect: reject "jump out of range from insn 1 to 2"
r0 = 0
r0 += 1
