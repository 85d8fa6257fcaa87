; expect: reject "invalid access to map value"
; bpf_loop(2, cb, &i) with cb: i += 8: two rounds reach i = 16, past the
; 16-byte map value (the kernel rejects it too: bpf_loop_iter_limit_overflow)
r1 = 0
*(u64 *)(r10 -8) = r1
*(u32 *)(r10 -12) = r1
r2 = r10
r2 += -12
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = 2
r2 = func cb
r3 = r10
r3 += -8
r4 = 0
call bpf_loop
r1 = *(u64 *)(r10 -8)
r6 += r1
r0 = *(u64 *)(r6 +0)
out:
r0 = 0
exit
cb:
r3 = *(u64 *)(r2 +0)
r3 += 8
*(u64 *)(r2 +0) = r3
r0 = 0
exit
