; expect: reject "combined stack size of 2 calls is 576"
; Within the callback's own chain, the frames still add up.
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
r1 = 0
*(u64 *)(r10 -288) = r1
call deep
r0 = 0
exit
deep:
r1 = 0
*(u64 *)(r10 -288) = r1
r0 = 0
exit
