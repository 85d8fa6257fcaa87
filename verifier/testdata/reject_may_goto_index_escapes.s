; expect: reject "invalid write to stack"
; As accept_may_goto_after_long_loop, but the second loop has no bound
; but can_loop: its precise index is never widened, and the round that
; takes it to the frame pointer writes outside the stack.
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
goto second
out:
r0 = 0
exit
