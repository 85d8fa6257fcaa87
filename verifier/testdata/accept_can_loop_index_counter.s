; expect: accept
; for (i = 0; i < 16 && can_loop; i++) arr[i] = i: the counter indexes the
; map value, so it is precise and never widened (widen_imprecise_scalars
; keeps precise scalars); the kernel accepts it
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = 0
loop:
may_goto out
if r6 >= 16 goto out
r1 = r0
r1 += r6
*(u8 *)(r1 +0) = r6
r6 += 1
goto loop
out:
r0 = 0
exit
