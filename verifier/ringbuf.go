package verifier

import "github.com/schedsim/schedsim/bpfvm"

// Ring buffer records (kernel/bpf/ringbuf.c protos, verifier.c 6.12):
// bpf_ringbuf_reserve(map, size, flags) takes a ring buffer map and a size
// known at verification time (ARG_CONST_ALLOC_SIZE_OR_ZERO) and returns a
// referenced record of that size or NULL (RET_PTR_TO_RINGBUF_MEM_OR_NULL);
// bpf_ringbuf_submit/discard release it, at offset 0 (OBJ_RELEASE).

const (
	helperRingbufReserve = bpfvm.HelperRingbufReserve
	helperRingbufSubmit  = bpfvm.HelperRingbufSubmit
	helperRingbufDiscard = bpfvm.HelperRingbufDiscard
)

// ringbufReserveSize checks bpf_ringbuf_reserve's map and size before the
// call and returns the record's size.
func (v *verifier) ringbufReserveSize(st *vstate, pc int) (uint32, error) {
	f := st.cur()
	if ms := v.mapSpec(int(f.regs[1].mapIdx)); f.regs[1].typ == constPtrToMap && ms != nil && ms.Type != bpfvm.MapRingbuf {
		return 0, v.errorState(st, pc, "cannot pass map_type %d into func bpf_ringbuf_reserve#%d", ms.Type, helperRingbufReserve)
	}
	return v.constSizeArg(st, pc, 2)
}

// constSizeArg checks a size known at verification time
// (ARG_CONST_ALLOC_SIZE_OR_ZERO) in register regno and returns it.
func (v *verifier) constSizeArg(st *vstate, pc int, regno uint8) (uint32, error) {
	r := &st.cur().regs[regno]
	if r.typ != scalarValue {
		return 0, v.expectType(st, pc, regno, r, "scalar")
	}
	if !r.isConst() {
		return 0, v.errorState(st, pc, "R%d is not a known constant'", regno)
	}
	v.markPrecise(st, int(regno))
	if r.varOff.value >= maxVarOff {
		return 0, v.errorState(st, pc, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", regno)
	}
	return uint32(r.varOff.value), nil
}

// ringbufRelease checks the record given to bpf_ringbuf_submit/discard:
// a reserved record, unmodified.
func (v *verifier) ringbufRelease(st *vstate, pc int) error {
	r1 := &st.cur().regs[1]
	if r1.typ != ptrToMem || r1.refID == 0 {
		return v.errorState(st, pc, "R1 type=%s expected=ringbuf_mem", v.typeName(r1))
	}
	if r1.off != 0 || !r1.isConst() || r1.varOff.value != 0 {
		return v.errorState(st, pc, "R1 must have zero offset when passed to release func")
	}
	return nil
}
