; expect: reject "calling kernel function id 4000 is not allowed"
call kfunc 4000
r0 = 0
exit
