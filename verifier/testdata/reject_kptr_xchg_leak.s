; expect: reject "Unreleased reference"
; The old value bpf_kptr_xchg returns is a reference to release.
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
r1 = $NODE_DATA
r2 = 0
call kfunc bpf_obj_new_impl
if r0 == 0 goto out
r2 = r0
r1 = r9
call bpf_kptr_xchg
out:
r0 = 0
exit
