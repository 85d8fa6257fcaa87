; expect: reject "R0 max value is outside of the allowed memory range"
; Two paths join with r7 linked to r8 at different offsets (0, then 9):
; the second must not be pruned by the first (regsafe compares the
; offsets of linked scalars); there r8 <= 7 lets r7 reach 16.
call bpf_get_prandom_u32
r8 = r0
call bpf_get_prandom_u32
r6 = r0
r7 = r8
if r6 > 5 goto far
r7 += 0
goto join
far:
r7 += 9
join:
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if r8 > 7 goto out
r0 += r7
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
