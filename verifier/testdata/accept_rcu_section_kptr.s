; expect: accept
; an RCU section around a kptr load: the cpumask, once checked, goes to a
; KF_RCU kfunc inside the section
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
call kfunc bpf_rcu_read_lock
r2 = *(u64 *)(r9 +8)
if r2 == 0 goto unlock
r1 = 1
call kfunc bpf_cpumask_test_cpu
unlock:
call kfunc bpf_rcu_read_unlock
out:
r0 = 0
exit
