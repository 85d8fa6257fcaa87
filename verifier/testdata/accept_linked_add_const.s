; expect: accept
; r7 = r8 + 4 keeps r7 linked to r8 with the constant offset 4
; (BPF_ADD_CONST, sync_linked_regs in Linux 6.12): the check of r8 bounds
; r7 to [4, 15], which then indexes the 16-byte map value.
call bpf_get_prandom_u32
r8 = r0
r7 = r8
r7 += 4
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if r8 > 11 goto out
r0 += r7
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
