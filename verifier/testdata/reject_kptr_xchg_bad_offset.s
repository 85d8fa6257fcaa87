; expect: reject "off=4 doesn't point to kptr"
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = r9
r1 += 4
r2 = 0
call bpf_kptr_xchg
out:
r0 = 0
exit
