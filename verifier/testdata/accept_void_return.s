; expect: accept
; void
exit
