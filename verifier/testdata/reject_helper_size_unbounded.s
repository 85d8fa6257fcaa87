; expect: reject "R2 unbounded memory access"
; args: u64
r2 = *(u64 *)(r1 +0)
r2 >>= 1
r2 |= 1
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call bpf_trace_printk
r0 = 0
exit
