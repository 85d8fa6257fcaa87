; expect: reject "bpf_spin_unlock without taking a lock"
r1 = map[id:4][0]+0
call bpf_spin_unlock
r0 = 0
exit
