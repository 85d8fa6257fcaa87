; expect: reject "R1 type=untrusted_ptr_ expected="
; A plain (not refcounted) kptr loads as an untrusted pointer: readable,
; not ours to drop.
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = *(u64 *)(r9 +0)
if r1 == 0 goto out
r2 = *(u64 *)(r1 +64)
r2 = 0
call kfunc bpf_obj_drop_impl
out:
r0 = 0
exit
