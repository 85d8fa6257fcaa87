; expect: accept
; a privileged program may subtract any two pointers, even a
; possibly-NULL one, and sign-extend a pointer: the results are numbers
; (check_alu_op/adjust_reg_min_max_vals with allow_ptr_leaks)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
r9 = r10
r9 -= r0
r8 = (s8)r10
w7 = (s16)w10
r0 = r9
r0 += r8
r0 += r7
r0 = 0
exit
