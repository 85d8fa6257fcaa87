; expect: accept
; a scalar read from an allocated object, copied to the stack, is memory
; for a helper (the object itself is not: reject_helper_mem_alloc_obj)
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r6 = r0
r1 = *(u64 *)(r6 +0)
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
r2 = 8
call bpf_trace_printk
r1 = r6
r2 = 0
call kfunc bpf_obj_drop_impl
out:
r0 = 0
exit
