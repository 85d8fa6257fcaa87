; expect: reject "R2 must be a rcu pointer"
; at bpf_rcu_read_unlock an RCU pointer becomes untrusted
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
call kfunc bpf_rcu_read_lock
r6 = *(u64 *)(r9 +8)
call kfunc bpf_rcu_read_unlock
if r6 == 0 goto out
r2 = r6
r1 = 1
call kfunc bpf_cpumask_test_cpu
out:
r0 = 0
exit
