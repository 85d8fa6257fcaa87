; expect: accept
; args: task_struct
; a trusted pointer goes to a kfunc without flags and to a KF_RCU one; a
; kfunc's pointer to a scalar takes stack memory (check_kfunc_args)
r6 = *(u64 *)(r1 +0)
r1 = r6
call kfunc test_kfunc_plain_task
r1 = r6
call kfunc test_kfunc_rcu_task
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call kfunc test_kfunc_u64_ptr
r0 = 0
exit
