; expect: reject "R2 must be a rcu pointer"
; sleepable
; in a sleepable program a kptr loaded outside an RCU section is untrusted
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r2 = *(u64 *)(r0 +8)
if r2 == 0 goto out
r1 = 1
call kfunc bpf_cpumask_test_cpu
out:
r0 = 0
exit
