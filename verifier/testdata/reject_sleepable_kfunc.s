; expect: reject "program must be sleepable to call sleepable kfunc scx_sleepy"
call kfunc scx_sleepy
r0 = 0
exit
