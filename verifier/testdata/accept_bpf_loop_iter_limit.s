; expect: accept
; bpf_loop(1, cb, &i) with cb: i += 8. The callback runs at most once on a
; path (the kernel's callback_depth limit), so i is 0 or 8 and
; value[i..i+8) stays inside the 16-byte map value; without the limit the
; verifier would run the callback again and reach i = 16
r1 = 0
*(u64 *)(r10 -8) = r1
*(u32 *)(r10 -12) = r1
r2 = r10
r2 += -12
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = 1
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
