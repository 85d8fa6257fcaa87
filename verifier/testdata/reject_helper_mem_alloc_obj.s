; expect: reject "R1 type=ptr_ expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
; an allocated object (bpf_obj_new) is not memory for a helper: mem_types
; lists no PTR_TO_BTF_ID | MEM_ALLOC (check_reg_type)
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r6 = r0
r1 = r0
r2 = 8
call bpf_trace_printk
r1 = r6
r2 = 0
call kfunc bpf_obj_drop_impl
out:
r0 = 0
exit
