; expect: reject "R1 must be a rcu pointer"
; args: task_struct
; a KF_RCU kfunc takes trusted or RCU pointers, not untrusted ones
; (p->parent->parent)
r6 = *(u64 *)(r1 +0)
r1 = *(u64 *)(r6 +104)
r1 = *(u64 *)(r1 +104)
call kfunc test_kfunc_rcu_task
r0 = 0
exit
