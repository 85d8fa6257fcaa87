package verifier

import "github.com/schedsim/schedsim/bpfvm"

// User ring buffers and dynptrs (kernel/bpf/verifier.c, Linux 6.12):
// bpf_user_ringbuf_drain(map, callback, ctx, flags) takes a
// BPF_MAP_TYPE_USER_RINGBUF map and calls its callback like bpf_loop's
// (zero or more times, returning 0 or 1), with R1 a CONST_PTR_TO_DYNPTR
// (a struct bpf_dynptr the program may pass to the dynptr helpers but not
// read, write, release or re-initialise) and R2 the context (a stack
// pointer or NULL). bpf_dynptr_data(dynptr, offset, len) returns len bytes
// (a constant) of the sample, or NULL. Dynptrs on the program's stack
// (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr) are not modelled.

const (
	helperUserRingbufDrain = bpfvm.HelperUserRingbufDrain
	helperDynptrData       = bpfvm.HelperDynptrData
)

// dynptrArg checks a dynptr argument (check_func_arg for ARG_PTR_TO_DYNPTR:
// check_reg_type, the release rule, check_func_arg_reg_off,
// process_dynptr_func).
func (v *verifier) dynptrArg(st *vstate, pc int, regno uint8, r *regState, at bpfvm.ArgType) error {
	if r.typ != ptrToStack && r.typ != constPtrToDynptr {
		return v.expectType(st, pc, regno, r, "fp, dynptr_ptr")
	}
	if at == bpfvm.ArgPtrToDynptrRelease && r.typ == constPtrToDynptr {
		return v.errorState(st, pc, "cannot release unowned const bpf_dynptr")
	}
	if r.typ == ptrToStack {
		return v.notModelled(st, pc, "dynptrs on the stack (bpf_dynptr_from_mem, bpf_ringbuf_*_dynptr) are not modelled")
	}
	if err := v.dynptrRegOff(st, pc, regno, r); err != nil {
		return err
	}
	if at == bpfvm.ArgPtrToDynptrUninit {
		return v.errorState(st, pc, "Dynptr has to be an uninitialized dynptr")
	}
	return nil
}

// dynptrRegOff is __check_ptr_off_reg for a CONST_PTR_TO_DYNPTR: no offset.
func (v *verifier) dynptrRegOff(st *vstate, pc int, regno uint8, r *regState) error {
	tn := v.typeName(r)
	if r.off < 0 {
		return v.errorState(st, pc, "negative offset %s ptr R%d off=%d disallowed", tn, regno, r.off)
	}
	if r.off != 0 {
		return v.errorState(st, pc, "dereference of modified %s ptr R%d off=%d disallowed", tn, regno, r.off)
	}
	if !r.isConst() || r.varOff.value != 0 {
		return v.errorState(st, pc, "variable %s access var_off=%s disallowed", tn, r.varOff)
	}
	return nil
}

// userRingbufDrainArgs checks the map and context of bpf_user_ringbuf_drain
// (check_map_func_compatibility; ARG_PTR_TO_STACK_OR_NULL).
func (v *verifier) userRingbufDrainArgs(st *vstate, pc int) error {
	f := st.cur()
	if ms := v.mapSpec(int(f.regs[1].mapIdx)); ms != nil && ms.Type != bpfvm.MapUserRingbuf {
		return v.errorState(st, pc, "cannot pass map_type %d into func bpf_user_ringbuf_drain#%d", ms.Type, helperUserRingbufDrain)
	}
	r3 := &f.regs[3]
	if r3.isNullConst() {
		v.markPrecise(st, 3)
		return nil
	}
	if r3.typ != ptrToStack {
		return v.expectType(st, pc, 3, r3, "fp")
	}
	return nil
}

// callUserRingbufDrain: the callback runs zero or more times with a
// dynptr and the context, as bpf_loop's (set_user_ringbuf_callback_state).
func (v *verifier) callUserRingbufDrain(st *vstate, pc int, meta *argMeta) (int, bool, error) {
	f := st.cur()
	cf, err := v.enterCallback(st, pc, meta, true)
	if err != nil {
		return 0, false, err
	}
	ctx := f.regs[3]
	cf.regs[1] = makePtr(constPtrToDynptr)
	cf.regs[2] = ctx
	return int(meta.cbTarget), false, nil
}
