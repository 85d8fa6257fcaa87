; expect: accept
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 +0) += r1
r1 = atomic64_fetch_add((u64 *)(r0 +8), r1)
r2 = r1
r0 = 0
exit
out:
r0 = 0
exit
