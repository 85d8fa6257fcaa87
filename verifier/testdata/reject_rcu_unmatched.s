; expect: reject "unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)"
call kfunc bpf_rcu_read_unlock
r0 = 0
exit
