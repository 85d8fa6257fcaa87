; expect: reject "Unreleased reference"
; a store over a live iterator destroys it (scrub_special_slot, verifier.c
; 6.12); its reference is never released
r1 = r10
r1 += -8
r2 = 0
r3 = 8
call kfunc bpf_iter_num_new
r1 = 0
*(u64 *)(r10 -8) = r1
r0 = 0
exit
