; expect: accept
; w7 = w8 of a value that fits in 32 bits copies it whole: the two are
; linked (check_alu_op, BPF_MOV32 with get_reg_width(src) <= 32), so a
; bounds check of w8 bounds r7, which then indexes a map value. scx_rusty's
; create_dom(u32 dom_id).
call bpf_get_prandom_u32
w8 = w0
w7 = w8
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[id:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
if w8 > 15 goto out
r0 += r7
r1 = *(u8 *)(r0 +0)
out:
r0 = 0
exit
