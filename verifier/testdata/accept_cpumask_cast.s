; expect: accept
; a struct bpf_cpumask * where const struct cpumask * is expected (scx's
; cast_mask()): struct bpf_cpumask begins with its cpumask, which
; btf_struct_ids_match accepts
call kfunc bpf_cpumask_create
if r0 == 0 goto out
r6 = r0
r1 = 3
r2 = r6
call kfunc bpf_cpumask_test_cpu
r1 = r6
call kfunc bpf_cpumask_release
out:
r0 = 0
exit
