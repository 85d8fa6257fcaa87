; expect: accept
; limit: 10000
; A may_goto loop stores, each round, one of 32 values (precise: a
; decided branch after the loop reads each) into lv[level]. Explored body
; first, every combination of the three rounds would reach the code after
; the loop (32^3 paths). The kernel (check_cond_jmp_op, BPF_JCOND) takes
; the jump first and queues the loop body: the loop's first exit reaches
; the code after it with lv[] not yet written, and that state, complete,
; covers every later exit. scx's sdt_alloc (desc_find_empty's lv_pos[]).
r6 = 0
loop:
may_goto done
call bpf_get_prandom_u32
r5 = 0
r1 = r0
r1 &= 1
if r1 == 0 goto a1
r5 += 1
a1:
r1 = r0
r1 &= 2
if r1 == 0 goto a2
r5 += 2
a2:
r1 = r0
r1 &= 4
if r1 == 0 goto a3
r5 += 4
a3:
r1 = r0
r1 &= 8
if r1 == 0 goto a4
r5 += 8
a4:
r1 = r0
r1 &= 16
if r1 == 0 goto a5
r5 += 16
a5:
r1 = r10
r1 += -32
r1 += r6
*(u64 *)(r1 +0) = r5
r6 += 8
if r6 == 24 goto done
goto loop
done:
call bpf_get_prandom_u32
r2 = 0
r3 = 0
r4 = 0
r5 = 0
r7 = 0
if r0 == 1 goto d1
r2 = 1
d1:
r1 = *(u64 *)(r10 -32)
if r1 > 31 goto out
r1 = *(u64 *)(r10 -24)
if r1 > 31 goto out
r1 = *(u64 *)(r10 -16)
if r1 > 31 goto out
out:
r0 = 0
exit
