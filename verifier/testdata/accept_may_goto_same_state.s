; expect: accept
; Two iterations of a may_goto loop reach the same state after the head:
; not an infinite loop (the kernel compares may_goto_depth).
r6 = 0
loop:
may_goto out
if r6 != 0 goto l2
l2:
r6 = 7
call bpf_get_prandom_u32
if r0 == 0 goto out
goto loop
out:
r0 = 0
exit
