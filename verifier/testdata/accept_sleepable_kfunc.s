; expect: accept
; sleepable
call kfunc scx_sleepy
r0 = 0
exit
