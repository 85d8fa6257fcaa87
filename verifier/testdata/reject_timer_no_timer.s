; expect: reject "map 'arr' has no valid bpf_timer"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r0
call bpf_timer_cancel
out:
r0 = 0
exit
