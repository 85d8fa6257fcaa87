; expect: accept
r1 = 0
*(u64 *)(r10 -8) = r1
loop:
may_goto done
r1 = *(u64 *)(r10 -8)
r1 += 1
*(u64 *)(r10 -8) = r1
goto loop
done:
r0 = *(u64 *)(r10 -8)
r0 = 0
exit
