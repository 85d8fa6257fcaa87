; expect: reject "unknown opcode f7"
.insn 0xf7, 0, 0, 0, 0
r0 = 0
exit
