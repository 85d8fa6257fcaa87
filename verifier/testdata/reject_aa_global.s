; expect: reject "AA deadlock detected"
r1 = map[id:4][0]+0
call bpf_spin_lock
r1 = map[id:4][0]+0
call bpf_spin_lock
r1 = map[id:4][0]+0
call bpf_spin_unlock
r1 = map[id:4][0]+0
call bpf_spin_unlock
r0 = 0
exit
