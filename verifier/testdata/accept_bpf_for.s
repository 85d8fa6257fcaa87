; expect: accept
; bpf_for(i, 0, 64) sum += i  with the iterator on the stack
r6 = 0
r1 = r10
r1 += -8
r2 = 0
r3 = 64
call kfunc bpf_iter_num_new
loop:
r1 = r10
r1 += -8
call kfunc bpf_iter_num_next
if r0 == 0 goto done
r1 = *(u32 *)(r0 +0)
if r1 s< 0 goto done
if r1 s>= 64 goto done
r6 += r1
goto loop
done:
r1 = r10
r1 += -8
call kfunc bpf_iter_num_destroy
r0 = 0
exit
