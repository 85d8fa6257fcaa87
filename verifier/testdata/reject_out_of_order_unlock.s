; expect: reject "bpf_spin_unlock cannot be out of order"
r1 = map[id:4][0]+0
call bpf_spin_lock
r1 = map[id:4][0]+4
call bpf_spin_lock
r1 = map[id:4][0]+0
call bpf_spin_unlock
r1 = map[id:4][0]+4
call bpf_spin_unlock
r0 = 0
exit
