; expect: accept
; for (i = 0; i < 60 && can_loop; i++) buf[i] = i, through a pointer that
; advances with the counter (the kernel's selftest test1 does 1000 rounds
; over a global array): the pointer stays in bounds only while the counter
; is known exactly, and the kernel unrolls all 60 rounds. Our first attempt
; forgets the precise counter after 32 rounds and fails; the retry with
; 1024 rounds accepts (Verify)
r1 = r10
r1 += -480
r6 = 0
loop:
may_goto out
*(u64 *)(r1 +0) = r6
r1 += 8
r6 += 1
if r6 < 60 goto loop
out:
r0 = 0
exit
