; expect: accept
r0 = 0
r1 = 0
outer:
r2 = 0
inner:
r0 += r2
r2 += 1
if r2 < 32 goto inner
r1 += 1
if r1 < 32 goto outer
r0 = 0
exit
