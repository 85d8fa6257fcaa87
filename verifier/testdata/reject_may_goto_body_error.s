; expect: reject "R6 invalid mem access 'scalar'"
r6 = 0
loop:
may_goto done
r6 += 1
if r6 != 5 goto loop
r0 = *(u64 *)(r6 +0)
done:
r0 = 0
exit
