; expect: reject "bpf_map_lookup_elem() may write into memory pointed by R2 type=trusted_ptr_"
; args: task_struct
; a map key is not a read-only argument: a field of a trusted kernel
; object is refused (check_reg_type, mem_types without MEM_RDONLY).
r2 = *(u64 *)(r1 +0)
r2 += 8
r1 = map[id:1]
call bpf_map_lookup_elem
r0 = 0
exit
