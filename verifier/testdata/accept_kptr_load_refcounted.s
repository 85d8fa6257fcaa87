; expect: accept
; A refcounted kptr loads as an RCU non-owning reference: read it, take
; a reference of our own with bpf_refcount_acquire, drop it.
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = *(u64 *)(r9 +16)
if r1 == 0 goto out
r2 = *(u64 *)(r1 +40)
r2 = 0
call kfunc bpf_refcount_acquire_impl
if r0 == 0 goto out
r1 = r0
r2 = 0
call kfunc bpf_obj_drop_impl
out:
r0 = 0
exit
