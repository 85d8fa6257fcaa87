; expect: reject "off 16 doesn't point to 'struct bpf_timer' that is at 0"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:9]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r0
r1 += 16
r2 = 0
r3 = 0
call bpf_timer_start
out:
r0 = 0
exit
