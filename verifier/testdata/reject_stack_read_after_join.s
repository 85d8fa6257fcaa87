; expect: reject "invalid access to map value, value_size=16 off=100 size=1"
; args: u64
; Two paths join with different values in a stack slot that is read
; later: the first, complete path must not prune the second (the slot is
; live: mark_reg_read up the checkpoints).
r6 = *(u64 *)(r1 +0)
r1 = 0
*(u64 *)(r10 -8) = r1
if r6 == 1 goto set
goto join
set:
r1 = 100
*(u64 *)(r10 -8) = r1
join:
r1 = 0
*(u32 *)(r10 -12) = r1
r2 = r10
r2 += -12
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r10 -8)
r0 += r1
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
