; expect: reject "invalid access to map value, value_size=16 off=100 size=1"
; args: u64
; As reject_precise_join, the value passing through a stack slot.
r6 = *(u64 *)(r1 +0)
r7 = 0
if r6 != 5 goto b
goto join
b:
r7 = 100
join:
*(u64 *)(r10 -16) = r7
r7 = 0
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r7 = *(u64 *)(r10 -16)
r0 += r7
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
