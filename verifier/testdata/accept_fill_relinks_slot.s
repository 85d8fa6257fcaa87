; expect: accept
; A scalar spilled to the stack, then filled and bounds-checked: a later
; fill of the same slot is bounded too. The kernel keeps the slot and every
; fill linked by the id its spill gave them (assign_scalar_id_before_mov);
; ours drops at a checkpoint an id that only the slot holds (the register
; is dead), and a fill links them again. scx_lavd's try_to_steal_task
; reloads nr_nbr on each `continue` of its neighbour loop.
call bpf_get_prandom_u32
r6 = r0
*(u64 *)(r10 -8) = r6
r1 = 0
*(u32 *)(r10 -12) = r1
r2 = r10
r2 += -12
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r7 = r0
call bpf_get_prandom_u32
if r0 == 1 goto a
r1 = 1
a:
if r0 == 2 goto b
r1 = 2
b:
r1 = 3
r1 = 4
r1 = 5
r1 = 6
if r0 == 3 goto c
r1 = 7
c:
r3 = *(u64 *)(r10 -8)
if r3 > 8 goto out
r4 = *(u64 *)(r10 -8)
r5 = r7
r5 += r4
r0 = *(u64 *)(r5 +0)
out:
r0 = 0
exit
