; expect: reject "infinite loop detected"
r0 = 0
l:
r1 = 0
goto l
