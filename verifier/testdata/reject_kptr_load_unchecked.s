; expect: reject "R0 invalid mem access 'untrusted_ptr_or_null_'"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r0 = *(u64 *)(r9 +24)
r1 = *(u64 *)(r0 +64)
out:
r0 = 0
exit
