; expect: accept
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:2]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = map[id:4][0]+0
call bpf_spin_lock
r1 = map[id:4][0]+4
call bpf_spin_lock
r1 = r6
r1 += 8
call bpf_spin_lock
r1 = *(u64 *)(r6 +0)
r1 += 1
*(u64 *)(r6 +0) = r1
r1 = r6
r1 += 8
call bpf_spin_unlock
r1 = map[id:4][0]+4
call bpf_spin_unlock
r1 = map[id:4][0]+0
call bpf_spin_unlock
out:
r0 = 0
exit
