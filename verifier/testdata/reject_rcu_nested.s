; expect: reject "nested rcu read lock (kernel function bpf_rcu_read_lock)"
call kfunc bpf_rcu_read_lock
call kfunc bpf_rcu_read_lock
call kfunc bpf_rcu_read_unlock
call kfunc bpf_rcu_read_unlock
r0 = 0
exit
