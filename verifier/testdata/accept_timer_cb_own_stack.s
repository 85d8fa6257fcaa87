; expect: accept
; A timer callback is the root of its own call chain: its 400 bytes of
; stack do not add to the 400 of the program that arms it.
r1 = 0
*(u64 *)(r10 -400) = r1
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
*(u64 *)(r10 -400) = r1
r0 = 0
exit
