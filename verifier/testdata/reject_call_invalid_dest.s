; expect: reject "call to invalid destination"
call pc+100
r0 = 0
exit
