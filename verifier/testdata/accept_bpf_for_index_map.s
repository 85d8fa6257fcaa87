; expect: accept
; bpf_for over CPUs, indexing a map value array with the checked counter
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r7 = r0
r8 = 0
r1 = r10
r1 += -16
r2 = 0
r3 = 16
call kfunc bpf_iter_num_new
loop:
r1 = r10
r1 += -16
call kfunc bpf_iter_num_next
if r0 == 0 goto done
r1 = *(u32 *)(r0 +0)
if r1 > 1 goto loop
r2 = r7
r1 <<= 3
r2 += r1
r3 = *(u64 *)(r2 +0)
r8 += r3
goto loop
done:
r1 = r10
r1 += -16
call kfunc bpf_iter_num_destroy
*(u64 *)(r7 +0) = r8
out:
r0 = 0
exit
