; expect: accept
r1 = map[id:4][0]+0
call bpf_spin_lock
r1 = map[id:4][0]+4
call bpf_spin_lock
r1 = map[id:4][0]+8
r2 = *(u64 *)(r1 +0)
r2 += 1
*(u64 *)(r1 +0) = r2
r1 = map[id:4][0]+4
call bpf_spin_unlock
r1 = map[id:4][0]+0
call bpf_spin_unlock
r0 = 0
exit
