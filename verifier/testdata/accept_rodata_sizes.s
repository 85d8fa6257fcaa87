; expect: accept
; Loads of 1, 2, 4 and 8 bytes at constant offsets of .rodata are the
; loader's bytes (little-endian); the branches to the bad path are dead.
r1 = map[id:5][0]+0
r2 = *(u8 *)(r1 +13)
if r2 != 1 goto bad
r2 = *(u16 *)(r1 +8)
if r2 != 0x201 goto bad
r2 = *(u32 *)(r1 +0)
if r2 != 3 goto bad
r1 += 8
r2 = *(u64 *)(r1 +0)
r3 = 0x10000000201 ll
if r2 != r3 goto bad
r2 = *(s8 *)(r1 +0)
if r2 != 1 goto bad
r0 = 0
exit
bad:
r0 = *(u64 *)(r9 +0)
exit
