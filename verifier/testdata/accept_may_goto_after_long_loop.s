; expect: accept
; A may_goto loop of 40 rounds whose counter is precise (its branch is
; decided each round), then a second may_goto loop whose index lives in a
; stack slot and indexes the stack. The second loop's index is precise and
; never widened: widening forgets only imprecise scalars, however many
; rounds other loops took before on the path (the kernel has no such
; limit; ours, a deviation for loops that never converge, counts the
; rounds of each loop head on its own). scx's sdt_alloc: desc_find_empty's
; lv_desc[level] after scx_alloc_attempt's 32 attempts.
r7 = 40
first:
may_goto second_init
r7 -= 1
if r7 == 0 goto second_init
goto first
second_init:
r1 = 0
*(u64 *)(r10 -8) = r1
second:
may_goto out
r2 = *(u64 *)(r10 -8)
r1 = r10
r1 += -32
r1 += r2
*(u64 *)(r1 +0) = r2
r2 += 8
*(u64 *)(r10 -8) = r2
if r2 == 24 goto out
goto second
out:
r0 = 0
exit
