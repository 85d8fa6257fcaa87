; expect: reject "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region"
; args: u64
r7 = *(u64 *)(r1 +0)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:2]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
r1 = r6
r1 += 8
call bpf_spin_lock
if r7 == 3 goto out
r1 = r6
r1 += 8
call bpf_spin_unlock
out:
r0 = 0
exit
