; expect: reject "infinite loop detected at insn 1"
; a may_goto whose exit jumps back to itself: once the counter is spent
; it jumps forever (is_state_visited's infinite-loop check applies at
; may_goto; selftests verifier_iterating_callbacks.c may_goto_self)
r0 = 0
self:
may_goto self
if r0 > 10 goto self
r0 = 0
exit
