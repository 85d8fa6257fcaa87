; expect: reject "kernel func scx_sleepy is sleepable within rcu_read_lock region"
; sleepable
call kfunc bpf_rcu_read_lock
call kfunc scx_sleepy
call kfunc bpf_rcu_read_unlock
r0 = 0
exit
