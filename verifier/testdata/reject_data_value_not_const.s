; expect: reject "math between map_value pointer and register with unbounded min value is not allowed"
; args: u64
; The same bound read from .data (writable) is not a constant: the index
; stays unbounded.
r6 = *(u64 *)(r1 +0)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = map[id:4][0]+8
r2 = *(u64 *)(r1 +0)
if r6 >= r2 goto out
r6 <<= 2
r0 += r6
r1 = *(u32 *)(r0 +0)
out:
r0 = 0
exit
