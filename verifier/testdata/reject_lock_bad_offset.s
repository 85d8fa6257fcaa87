; expect: reject "off 8 doesn't point to 'struct bpf_spin_lock' that is at 0"
r1 = map[id:4][0]+8
call bpf_spin_lock
r0 = 0
exit
