; expect: accept
; A bpf_cpumask kptr: create, stash, release the old one.
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:12]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
call kfunc bpf_cpumask_create
if r0 == 0 goto out
r2 = r0
r1 = r9
r1 += 8
call bpf_kptr_xchg
if r0 == 0 goto out
r1 = r0
call kfunc bpf_cpumask_release
out:
r0 = 0
exit
