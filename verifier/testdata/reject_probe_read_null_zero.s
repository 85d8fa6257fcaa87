; expect: reject "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
; bpf_probe_read_kernel(NULL, 0, src): its dst is ARG_PTR_TO_UNINIT_MEM without PTR_MAYBE_NULL
r1 = 0
r2 = 0
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
