; expect: reject "cannot be used inside bpf_spin_lock-ed region"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:9]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r0
r2 = func cb
call bpf_timer_set_callback
out:
r0 = 0
exit
cb:
r1 = map[id:4][0]+0
call bpf_spin_lock
r0 = 0
exit
