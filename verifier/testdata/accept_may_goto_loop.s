; expect: accept
; while (true) { cnt++; cond_break; } with an unknown exit condition
; args: u64
r6 = *(u64 *)(r1 +0)
r7 = 0
loop:
may_goto done
r7 += 1
r6 >>= 1
if r6 != 0 goto loop
done:
r0 = 0
exit
