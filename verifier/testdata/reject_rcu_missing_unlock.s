; expect: reject "bpf_rcu_read_unlock is missing"
call kfunc bpf_rcu_read_lock
r0 = 0
exit
