; expect: accept
; bpf_timer_init/set_callback/start; the callback (map, key, value)
; counts and re-arms its timer through the value pointer.
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:9]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = r6
r2 = map[id:9]
r3 = 1
call bpf_timer_init
r1 = r6
r2 = func cb
call bpf_timer_set_callback
r1 = r6
r2 = 1000
r3 = 0
call bpf_timer_start
out:
r0 = 0
exit
cb:
r4 = *(u32 *)(r2 +0)
r5 = *(u64 *)(r3 +16)
r5 += r4
*(u64 *)(r3 +16) = r5
r1 = r3
r2 = 1000
r3 = 0
call bpf_timer_start
r0 = 0
exit
