; expect: reject "BPF_ATOMIC stores into R1 ctx is not allowed"
; args: u64
r2 = 1
lock *(u64 *)(r1 +0) += r2
r0 = 0
exit
