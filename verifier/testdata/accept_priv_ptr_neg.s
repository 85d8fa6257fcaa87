; expect: accept
; a privileged program may negate or byte-swap a pointer: the result is a
; number (check_alu_op's BPF_NEG/BPF_END with allow_ptr_leaks)
r6 = r10
r6 = -r6
r7 = r10
r7 = be16 r7
r0 = 0
exit
