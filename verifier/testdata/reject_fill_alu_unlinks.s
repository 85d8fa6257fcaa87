; expect: reject "math between map_value pointer and register with unbounded min value"
; As accept_fill_relinks_slot, but the bounds check is on a value
; computed from the fill (r3 &= 0xffff): not the slot's value, so the
; second fill stays unbounded.
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
r3 &= 0xffff
if r3 > 8 goto out
r4 = *(u64 *)(r10 -8)
r5 = r7
r5 += r4
r0 = *(u64 *)(r5 +0)
out:
r0 = 0
exit
