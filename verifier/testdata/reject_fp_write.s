; expect: reject "frame pointer is read only"
r10 = 0
r0 = 0
exit
