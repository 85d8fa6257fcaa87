; expect: accept
; args: task_struct
r8 = *(u64 *)(r1 +0)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:2]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = r6
r1 += 8
call bpf_spin_lock
call bpf_ktime_get_ns
r1 = r8
r2 = 0
r3 = 5000000
r4 = 0
call kfunc scx_bpf_dsq_insert
r1 = r6
r1 += 8
call bpf_spin_unlock
out:
r0 = 0
exit
