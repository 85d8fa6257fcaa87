package bpfvm

import (
	"math/bits"
	"unsafe"
)

// fast executes ALU, jump, 64-bit load and memory instructions from pc
// until n instructions ran (returns n == 0) or it meets an instruction it
// does not execute: calls, exits, may_goto, invalid ones and memory
// accesses outside [base, base+size). It returns that instruction's index
// and the count left, the instruction not counted. It makes no calls, so
// that its state stays in machine registers.
//
// insp points at the decoded instructions; every jump target was checked
// at decode time and the sentinel at the end stops the fall-through, so pc
// stays inside them.
func fast(rp *[16]uint64, insp unsafe.Pointer, pc int, n uint64, mp unsafe.Pointer, base, size uint64) (int, uint64) {
	const isz = unsafe.Sizeof(dinsn{})
	r := *rp // a local copy: no nil checks, addressed off the stack pointer
	ip := unsafe.Add(insp, uintptr(pc)*isz)
	for {
		if n == 0 {
			goto out
		}
		n--
		in := (*dinsn)(ip)
		ip = unsafe.Add(ip, isz)
		switch in.op {
		case opAdd64K:
			r[in.dst&15] += in.imm
		case opAdd64X:
			r[in.dst&15] += r[in.src&15]
		case opSub64K:
			r[in.dst&15] -= in.imm
		case opSub64X:
			r[in.dst&15] -= r[in.src&15]
		case opMul64K:
			r[in.dst&15] *= in.imm
		case opMul64X:
			r[in.dst&15] *= r[in.src&15]
		case opOr64K:
			r[in.dst&15] |= in.imm
		case opOr64X:
			r[in.dst&15] |= r[in.src&15]
		case opAnd64K:
			r[in.dst&15] &= in.imm
		case opAnd64X:
			r[in.dst&15] &= r[in.src&15]
		case opXor64K:
			r[in.dst&15] ^= in.imm
		case opXor64X:
			r[in.dst&15] ^= r[in.src&15]
		case opMov64K:
			r[in.dst&15] = in.imm
		case opMov64X:
			r[in.dst&15] = r[in.src&15]
		case opLsh64K:
			r[in.dst&15] <<= in.imm
		case opLsh64X:
			r[in.dst&15] <<= (r[in.src&15] & 63)
		case opRsh64K:
			r[in.dst&15] >>= in.imm
		case opRsh64X:
			r[in.dst&15] >>= (r[in.src&15] & 63)
		case opArsh64K:
			r[in.dst&15] = uint64(int64(r[in.dst&15]) >> in.imm)
		case opArsh64X:
			r[in.dst&15] = uint64(int64(r[in.dst&15]) >> (r[in.src&15] & 63))
		case opDiv64K:
			if v := in.imm; v != 0 {
				r[in.dst&15] /= v
			} else {
				r[in.dst&15] = 0
			}
		case opSdiv64K:
			if v := int64(in.imm); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.dst&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opMod64K:
			if v := in.imm; v != 0 {
				r[in.dst&15] %= v
			}
		case opSmod64K:
			if v := int64(in.imm); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.dst&15]) % v)
			}
		case opDiv64X:
			if v := r[in.src&15]; v != 0 {
				r[in.dst&15] /= v
			} else {
				r[in.dst&15] = 0
			}
		case opSdiv64X:
			if v := int64(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.dst&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opMod64X:
			if v := r[in.src&15]; v != 0 {
				r[in.dst&15] %= v
			}
		case opSmod64X:
			if v := int64(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.dst&15]) % v)
			}
		case opAdd32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) + uint32(in.imm))
		case opAdd32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) + uint32(r[in.src&15]))
		case opSub32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) - uint32(in.imm))
		case opSub32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) - uint32(r[in.src&15]))
		case opMul32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) * uint32(in.imm))
		case opMul32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) * uint32(r[in.src&15]))
		case opOr32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) | uint32(in.imm))
		case opOr32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) | uint32(r[in.src&15]))
		case opAnd32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) & uint32(in.imm))
		case opAnd32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) & uint32(r[in.src&15]))
		case opXor32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) ^ uint32(in.imm))
		case opXor32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) ^ uint32(r[in.src&15]))
		case opMov32K:
			r[in.dst&15] = in.imm
		case opMov32X:
			r[in.dst&15] = uint64(uint32(r[in.src&15]))
		case opLsh32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) << in.imm)
		case opLsh32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) << (r[in.src&15] & 31))
		case opRsh32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) >> in.imm)
		case opRsh32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) >> (r[in.src&15] & 31))
		case opArsh32K:
			r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) >> in.imm))
		case opArsh32X:
			r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) >> (r[in.src&15] & 31)))
		case opDiv32K:
			if v := uint32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opSdiv32K:
			if v := int32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) / v))
			} else {
				r[in.dst&15] = 0
			}
		case opMod32K:
			if v := uint32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]) % v)
			} else {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]))
			}
		case opSmod32K:
			if v := int32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) % v))
			} else {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]))
			}
		case opDiv32X:
			if v := uint32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opSdiv32X:
			if v := int32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) / v))
			} else {
				r[in.dst&15] = 0
			}
		case opMod32X:
			if v := uint32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]) % v)
			} else {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]))
			}
		case opSmod32X:
			if v := int32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) % v))
			} else {
				r[in.dst&15] = uint64(uint32(r[in.dst&15]))
			}
		case opJeq64K:
			if r[in.dst&15] == in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJeq64X:
			if r[in.dst&15] == r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJne64K:
			if r[in.dst&15] != in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJne64X:
			if r[in.dst&15] != r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJgt64K:
			if r[in.dst&15] > in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJgt64X:
			if r[in.dst&15] > r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJge64K:
			if r[in.dst&15] >= in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJge64X:
			if r[in.dst&15] >= r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJlt64K:
			if r[in.dst&15] < in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJlt64X:
			if r[in.dst&15] < r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJle64K:
			if r[in.dst&15] <= in.imm {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJle64X:
			if r[in.dst&15] <= r[in.src&15] {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsgt64K:
			if int64(r[in.dst&15]) > int64(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsgt64X:
			if int64(r[in.dst&15]) > int64(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsge64K:
			if int64(r[in.dst&15]) >= int64(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsge64X:
			if int64(r[in.dst&15]) >= int64(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJslt64K:
			if int64(r[in.dst&15]) < int64(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJslt64X:
			if int64(r[in.dst&15]) < int64(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsle64K:
			if int64(r[in.dst&15]) <= int64(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsle64X:
			if int64(r[in.dst&15]) <= int64(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJset64K:
			if r[in.dst&15]&in.imm != 0 {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJset64X:
			if r[in.dst&15]&r[in.src&15] != 0 {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJeq32K:
			if uint32(r[in.dst&15]) == uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJeq32X:
			if uint32(r[in.dst&15]) == uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJne32K:
			if uint32(r[in.dst&15]) != uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJne32X:
			if uint32(r[in.dst&15]) != uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJgt32K:
			if uint32(r[in.dst&15]) > uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJgt32X:
			if uint32(r[in.dst&15]) > uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJge32K:
			if uint32(r[in.dst&15]) >= uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJge32X:
			if uint32(r[in.dst&15]) >= uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJlt32K:
			if uint32(r[in.dst&15]) < uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJlt32X:
			if uint32(r[in.dst&15]) < uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJle32K:
			if uint32(r[in.dst&15]) <= uint32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJle32X:
			if uint32(r[in.dst&15]) <= uint32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsgt32K:
			if int32(r[in.dst&15]) > int32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsgt32X:
			if int32(r[in.dst&15]) > int32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsge32K:
			if int32(r[in.dst&15]) >= int32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsge32X:
			if int32(r[in.dst&15]) >= int32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJslt32K:
			if int32(r[in.dst&15]) < int32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJslt32X:
			if int32(r[in.dst&15]) < int32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsle32K:
			if int32(r[in.dst&15]) <= int32(in.imm) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJsle32X:
			if int32(r[in.dst&15]) <= int32(r[in.src&15]) {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJset32K:
			if uint32(r[in.dst&15])&uint32(in.imm) != 0 {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opJset32X:
			if uint32(r[in.dst&15])&uint32(r[in.src&15]) != 0 {
				ip = unsafe.Add(insp, uintptr(in.off)*isz)
			}
		case opNeg64:
			r[in.dst&15] = -r[in.dst&15]
		case opNeg32:
			r[in.dst&15] = uint64(-uint32(r[in.dst&15]))
		case opMovsx64s8:
			r[in.dst&15] = uint64(int64(int8(r[in.src&15])))
		case opMovsx64s16:
			r[in.dst&15] = uint64(int64(int16(r[in.src&15])))
		case opMovsx64s32:
			r[in.dst&15] = uint64(int64(int32(r[in.src&15])))
		case opMovsx32s8:
			r[in.dst&15] = uint64(uint32(int32(int8(r[in.src&15]))))
		case opMovsx32s16:
			r[in.dst&15] = uint64(uint32(int32(int16(r[in.src&15]))))
		case opTrunc16:
			r[in.dst&15] = uint64(uint16(r[in.dst&15]))
		case opTrunc32:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]))
		case opNop:
		case opSwap16:
			r[in.dst&15] = uint64(bits.ReverseBytes16(uint16(r[in.dst&15])))
		case opSwap32:
			r[in.dst&15] = uint64(bits.ReverseBytes32(uint32(r[in.dst&15])))
		case opSwap64:
			r[in.dst&15] = bits.ReverseBytes64(r[in.dst&15])

		case opJa:
			ip = unsafe.Add(insp, uintptr(in.off)*isz)
		case opLdImm64:
			r[in.dst&15] = in.imm
			ip = unsafe.Add(ip, isz)

		case opLdx8:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-1 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(*(*uint8)(unsafe.Add(mp, a)))
		case opLdx16:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-2 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(*(*uint16)(unsafe.Add(mp, a)))
		case opLdx32:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(*(*uint32)(unsafe.Add(mp, a)))
		case opLdx64:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-8 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = *(*uint64)(unsafe.Add(mp, a))
		case opLdxs8:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-1 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(int64(*(*int8)(unsafe.Add(mp, a))))
		case opLdxs16:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-2 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(int64(*(*int16)(unsafe.Add(mp, a))))
		case opLdxs32:
			a := r[in.src&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			r[in.dst&15] = uint64(int64(*(*int32)(unsafe.Add(mp, a))))

		case opSt8:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-1 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint8)(unsafe.Add(mp, a)) = uint8(in.imm)
		case opSt16:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-2 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint16)(unsafe.Add(mp, a)) = uint16(in.imm)
		case opSt32:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint32)(unsafe.Add(mp, a)) = uint32(in.imm)
		case opSt64:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-8 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint64)(unsafe.Add(mp, a)) = in.imm
		case opStx8:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-1 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint8)(unsafe.Add(mp, a)) = uint8(r[in.src&15])
		case opStx16:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-2 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint16)(unsafe.Add(mp, a)) = uint16(r[in.src&15])
		case opStx32:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint32)(unsafe.Add(mp, a)) = uint32(r[in.src&15])
		case opStx64:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-8 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			*(*uint64)(unsafe.Add(mp, a)) = r[in.src&15]

		case opAtomicAdd32, opAtomicOr32, opAtomicAnd32, opAtomicXor32,
			opFetchAdd32, opFetchOr32, opFetchAnd32, opFetchXor32, opXchg32, opCmpxchg32:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-4 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			ptr := (*uint32)(unsafe.Add(mp, a))
			old, v := *ptr, uint32(r[in.src&15])
			switch in.op {
			case opAtomicAdd32, opFetchAdd32:
				*ptr = old + v
			case opAtomicOr32, opFetchOr32:
				*ptr = old | v
			case opAtomicAnd32, opFetchAnd32:
				*ptr = old & v
			case opAtomicXor32, opFetchXor32:
				*ptr = old ^ v
			case opXchg32:
				*ptr = v
			case opCmpxchg32:
				if old == uint32(r[0]) {
					*ptr = v
				}
				r[0] = uint64(old)
				continue
			}
			if in.op >= opFetchAdd32 {
				r[in.src&15] = uint64(old)
			}
		case opAtomicAdd64, opAtomicOr64, opAtomicAnd64, opAtomicXor64,
			opFetchAdd64, opFetchOr64, opFetchAnd64, opFetchXor64, opXchg64, opCmpxchg64:
			a := r[in.dst&15] + uint64(int64(in.off)) - base
			if a > size-8 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			ptr := (*uint64)(unsafe.Add(mp, a))
			old, v := *ptr, r[in.src&15]
			switch in.op {
			case opAtomicAdd64, opFetchAdd64:
				*ptr = old + v
			case opAtomicOr64, opFetchOr64:
				*ptr = old | v
			case opAtomicAnd64, opFetchAnd64:
				*ptr = old & v
			case opAtomicXor64, opFetchXor64:
				*ptr = old ^ v
			case opXchg64:
				*ptr = v
			case opCmpxchg64:
				if old == r[0] {
					*ptr = v
				}
				r[0] = old
				continue
			}
			if in.op >= opFetchAdd64 {
				r[in.src&15] = old
			}

		case opFAdd64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] + in.imm
		case opFAdd64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] + r[in.src&15]
		case opFSub64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] - in.imm
		case opFSub64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] - r[in.src&15]
		case opFMul64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] * in.imm
		case opFMul64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] * r[in.src&15]
		case opFOr64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] | in.imm
		case opFOr64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] | r[in.src&15]
		case opFAnd64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] & in.imm
		case opFAnd64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] & r[in.src&15]
		case opFXor64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] ^ in.imm
		case opFXor64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] ^ r[in.src&15]
		case opFLsh64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] << in.imm
		case opFLsh64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] << (r[in.src&15] & 63)
		case opFRsh64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] >> in.imm
		case opFRsh64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = r[in.a&15] >> (r[in.src&15] & 63)
		case opFArsh64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(int64(r[in.a&15]) >> in.imm)
		case opFArsh64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(int64(r[in.a&15]) >> (r[in.src&15] & 63))
		case opFDiv64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := in.imm; v != 0 {
				r[in.dst&15] = r[in.a&15] / v
			} else {
				r[in.dst&15] = 0
			}
		case opFDiv64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := r[in.src&15]; v != 0 {
				r[in.dst&15] = r[in.a&15] / v
			} else {
				r[in.dst&15] = 0
			}
		case opFMod64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := in.imm; v != 0 {
				r[in.dst&15] = r[in.a&15] % v
			} else {
				r[in.dst&15] = r[in.a&15]
			}
		case opFMod64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := r[in.src&15]; v != 0 {
				r[in.dst&15] = r[in.a&15] % v
			} else {
				r[in.dst&15] = r[in.a&15]
			}
		case opFSdiv64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int64(in.imm); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.a&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opFSdiv64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int64(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.a&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opFSmod64K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int64(in.imm); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.a&15]) % v)
			} else {
				r[in.dst&15] = r[in.a&15]
			}
		case opFSmod64X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int64(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(int64(r[in.a&15]) % v)
			} else {
				r[in.dst&15] = r[in.a&15]
			}
		case opFAdd32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) + uint32(in.imm))
		case opFAdd32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) + uint32(r[in.src&15]))
		case opFSub32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) - uint32(in.imm))
		case opFSub32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) - uint32(r[in.src&15]))
		case opFMul32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) * uint32(in.imm))
		case opFMul32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) * uint32(r[in.src&15]))
		case opFOr32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) | uint32(in.imm))
		case opFOr32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) | uint32(r[in.src&15]))
		case opFAnd32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) & uint32(in.imm))
		case opFAnd32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) & uint32(r[in.src&15]))
		case opFXor32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) ^ uint32(in.imm))
		case opFXor32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) ^ uint32(r[in.src&15]))
		case opFLsh32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) << in.imm)
		case opFLsh32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) << (r[in.src&15] & 31))
		case opFRsh32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) >> in.imm)
		case opFRsh32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(r[in.a&15]) >> (r[in.src&15] & 31))
		case opFArsh32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) >> in.imm))
		case opFArsh32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) >> (r[in.src&15] & 31)))
		case opFDiv32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := uint32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.a&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opFDiv32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := uint32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.a&15]) / v)
			} else {
				r[in.dst&15] = 0
			}
		case opFMod32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := uint32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.a&15]) % v)
			} else {
				r[in.dst&15] = uint64(uint32(r[in.a&15]))
			}
		case opFMod32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := uint32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(r[in.a&15]) % v)
			} else {
				r[in.dst&15] = uint64(uint32(r[in.a&15]))
			}
		case opFSdiv32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) / v))
			} else {
				r[in.dst&15] = 0
			}
		case opFSdiv32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) / v))
			} else {
				r[in.dst&15] = 0
			}
		case opFSmod32K:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int32(in.imm); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) % v))
			} else {
				r[in.dst&15] = uint64(uint32(r[in.a&15]))
			}
		case opFSmod32X:
			if n == 0 {
				ip = unsafe.Add(ip, -int(isz))
				n++
				goto out
			}
			n--
			ip = unsafe.Add(ip, isz)
			if v := int32(r[in.src&15]); v != 0 {
				r[in.dst&15] = uint64(uint32(int32(r[in.a&15]) % v))
			} else {
				r[in.dst&15] = uint64(uint32(r[in.a&15]))
			}
		default:
			ip = unsafe.Add(ip, -int(isz))
			n++
			goto out
		}
	}
out:
	*rp = r
	return int((uintptr(ip) - uintptr(insp)) / isz), n
}
