; expect: reject "R1 invalid mem access 'map_ptr'"
r1 = map[id:0]
r0 = *(u64 *)(r1 +0)
exit
