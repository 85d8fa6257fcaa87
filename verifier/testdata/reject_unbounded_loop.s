; expect: reject "BPF program is too large. Processed 1000001 insn"
; args: u64
r0 = 0
l:
r0 += 1
if r0 != 0 goto l
exit
