; expect: reject "expected an initialized iter_num as arg #0"
; a helper writing 4 bytes into the upper half of a live iterator's slot
; destroys the iterator: next() must not run on the clobbered state
; args: task_struct
r6 = r1
r1 = r10
r1 += -8
r2 = 0
r3 = 8
call kfunc bpf_iter_num_new
r3 = *(u64 *)(r6 +0)
r1 = r10
r1 += -4
r2 = 4
call bpf_probe_read_kernel
r1 = r10
r1 += -8
call kfunc bpf_iter_num_next
r1 = r10
r1 += -8
call kfunc bpf_iter_num_destroy
r0 = 0
exit
