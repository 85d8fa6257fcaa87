; expect: reject "timer pointer in R1 map=timers doesn't match map pointer in R2 map=arr"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:9]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r0
r2 = map[id:0]
r3 = 1
call bpf_timer_init
out:
r0 = 0
exit
