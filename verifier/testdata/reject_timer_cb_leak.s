; expect: reject "Unreleased reference"
; A timer callback is a program of its own: references must be released.
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
r1 = 1
call kfunc bpf_task_from_pid
r0 = 0
exit
