; expect: reject "Unreleased reference"
; a helper overwriting a whole live iterator: the iterator's reference leaks
; args: task_struct
r6 = r1
r1 = r10
r1 += -8
r2 = 0
r3 = 8
call kfunc bpf_iter_num_new
r3 = *(u64 *)(r6 +0)
r1 = r10
r1 += -8
r2 = 8
call bpf_probe_read_kernel
r0 = 0
exit
