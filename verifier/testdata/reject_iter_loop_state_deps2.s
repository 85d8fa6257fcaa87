; expect: reject "math between fp pointer and register with unbounded min value is not allowed"
; the kernel iters.c test loop_state_deps2 (6.12): the unsafe store with c=-25 is reached only
; on a second iteration of the first inner loop after the second has set c; a
; pruning that trusts in-progress loop states misses it
r1 = r10
r1 += -16
r2 = 0
r3 = 10
call kfunc bpf_iter_num_new
r6 = 0
r7 = 0
r8 = -24
j_loop:
r1 = r10
r1 += -16
call kfunc bpf_iter_num_next
if r0 == 0 goto j_loop_end
r1 = r10
r1 += -8
r2 = 0
r3 = 10
call kfunc bpf_iter_num_new
r6 = 0
r7 = 0
i_loop:
r1 = r10
r1 += -8
call kfunc bpf_iter_num_next
if r0 == 0 goto i_loop_end
check_one_r6:
if r6 != 1 goto check_zero_r6
r6 = 0
r7 = 1
goto i_loop
check_zero_r6:
if r6 != 0 goto i_loop
r6 = 1
call bpf_get_prandom_u32
if r0 != 42 goto check_one_r7
goto i_loop
check_one_r7:
if r7 != 1 goto i_loop
r0 = r10
r0 += r8
r1 = 7
*(u64 *)(r0 + 0) = r1
r1 = r10
r1 += -8
call kfunc bpf_iter_num_destroy
r1 = r10
r1 += -16
call kfunc bpf_iter_num_destroy
r0 = 0
exit
i_loop_end:
r1 = r10
r1 += -8
call kfunc bpf_iter_num_destroy
r1 = r10
r1 += -8
r2 = 0
r3 = 10
call kfunc bpf_iter_num_new
r6 = 0
r7 = 0
i2_loop:
r1 = r10
r1 += -8
call kfunc bpf_iter_num_next
if r0 == 0 goto i2_loop_end
check2_one_r6:
if r6 != 1 goto check2_zero_r6
r6 = 0
r7 = 1
goto i2_loop
check2_zero_r6:
if r6 != 0 goto i2_loop
r6 = 1
call bpf_get_prandom_u32
if r0 != 42 goto check2_one_r7
goto i2_loop
check2_one_r7:
if r7 != 1 goto i2_loop
r6 = 0
r8 = -25
goto i2_loop
i2_loop_end:
r1 = r10
r1 += -8
call kfunc bpf_iter_num_destroy
r6 = 0
r7 = 0
goto j_loop
j_loop_end:
r1 = r10
r1 += -16
call kfunc bpf_iter_num_destroy
r0 = 0
exit
