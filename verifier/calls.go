package verifier

import (
	"fmt"
	"math"
	"strings"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// Calls: bpf-to-bpf calls, helpers, kfuncs, references, locks, iterators,
// callbacks (check_func_call, check_helper_call, check_kfunc_call,
// process_spin_lock, process_iter_next_call; kernel/bpf/verifier.c, Linux
// 6.12/6.15).

const (
	helperSpinLock         = 93
	helperSpinUnlock       = 94
	helperTimerInit        = bpfvm.HelperTimerInit
	helperTimerSetCallback = bpfvm.HelperTimerSetCallback
	helperLoop             = 181
	helperKptrXchg         = 194
)

// ---- exit ----

func (v *verifier) checkExit(st *vstate, pc int) (int, bool, error) {
	f := st.cur()
	if len(st.frames) > 1 {
		r0 := f.regs[0]
		// a static function returns whatever r0 holds, even nothing (a
		// void function): only a caller that reads it fails
		// (prepare_func_exit, verifier.c 6.12); callbacks return a number
		if r0.typ == notInit && (f.cb == cbLoop || f.cb == cbRbLess) {
			return 0, false, v.errorState(st, pc, "R0 !read_ok")
		}
		if f.cb == cbLoop || f.cb == cbRbLess {
			if f.cb == cbLoop {
				v.markPrecise(st, 0)
			}
			if r0.typ != scalarValue {
				return 0, false, v.errorState(st, pc, "At callback return the register R0 is not a known value (%s)", v.typeName(&r0))
			}
			if f.cb == cbLoop && (r0.umax > 1) {
				return 0, false, v.errorState(st, pc, "At callback return the register R0 has %s should have been in [0, 1]", v.regString(&r0))
			}
			if f.cb == cbRbLess {
				return 0, true, nil
			}
			// bpf_loop: back to the call, which may run the callback again
			cs := f.callsite
			st.frames = st.frames[:len(st.frames)-1]
			return cs, false, nil
		}
		if r0.typ == ptrToStack && int(r0.frameNo) == len(st.frames)-1 {
			return 0, false, v.errorState(st, pc, "cannot return stack pointer to the caller frame")
		}
		cs := f.callsite
		st.frames = st.frames[:len(st.frames)-1]
		caller := st.cur()
		caller.regs[0] = r0
		for r := 1; r <= 5; r++ {
			caller.regs[r] = regState{}
		}
		v.invalidateDeadStackPtrs(st)
		return cs + 1, false, nil
	}
	// main program, or an async (timer) callback: a frame 0 of its own
	if st.rcuLock {
		return 0, false, v.errorState(st, pc, "bpf_rcu_read_unlock is missing")
	}
	if len(st.locks) > 0 {
		return 0, false, v.errorState(st, pc, "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region")
	}
	if len(st.refs) > 0 {
		r := st.refs[0]
		return 0, false, v.errorState(st, pc, "Unreleased reference id=%d alloc_insn=%d", r.id, r.insn)
	}
	if f.cb == cbGlobal {
		// a global function returns a scalar (check_return_code, is_subprog)
		r0 := f.regs[0]
		if r0.typ == notInit {
			return 0, false, v.errorState(st, pc, "R0 !read_ok")
		}
		if r0.typ != scalarValue {
			return 0, false, v.errorState(st, pc, "At subprogram exit the register R0 is not a scalar value (%s)", v.typeName(&r0))
		}
		return 0, true, nil
	}
	if f.cb == cbAsync {
		// bpf_timer callbacks return 0 (check_return_code, async callback)
		r0 := f.regs[0]
		if r0.typ == notInit {
			return 0, false, v.errorState(st, pc, "R0 !read_ok")
		}
		if r0.typ != scalarValue {
			return 0, false, v.errorState(st, pc, "At async callback return the register R0 is not a known value (%s)", v.typeName(&r0))
		}
		v.markPrecise(st, 0)
		if r0.smin < 0 || r0.smax > 0 {
			return 0, false, v.errorState(st, pc, "At async callback return the register R0 has%s should have been in [0, 0]", invalidScalarRange(&r0))
		}
		return 0, true, nil
	}
	if v.env.ExitNotModelled {
		return 0, false, v.notModelled(st, pc, "program type %s is not modelled: its return value rules", v.progType())
	}
	if !v.env.ReturnVoid {
		r0 := f.regs[0]
		if r0.typ == notInit {
			return 0, false, v.errorState(st, pc, "R0 !read_ok")
		}
		if r0.isPtr() && v.env.Unprivileged {
			return 0, false, v.errorState(st, pc, "R0 leaks addr as return value")
		}
	}
	return 0, true, nil
}

// invalidScalarRange prints a scalar's signed range as the kernel's
// verbose_invalid_scalar does.
func invalidScalarRange(r *regState) string {
	s := ""
	if r.smin > math.MinInt64 {
		s += fmt.Sprintf(" smin=%d", r.smin)
	}
	if r.smax < math.MaxInt64 {
		s += fmt.Sprintf(" smax=%d", r.smax)
	}
	if s == "" {
		s = " unknown scalar value"
	}
	return s
}

// invalidateDeadStackPtrs: pointers into a frame that returned become
// unusable numbers.
func (v *verifier) invalidateDeadStackPtrs(st *vstate) {
	n := uint8(len(st.frames))
	st.forEachReg(func(r *regState) {
		if r.typ == ptrToStack && r.frameNo >= n {
			*r = unknownScalar()
		}
	})
}

// ---- call dispatch ----

func (v *verifier) checkCall(st *vstate, pc int, in bpfvm.Insn) (int, bool, error) {
	if isCallx(in) {
		return v.checkCallx(st, pc, in)
	}
	switch in.Src {
	case bpfvm.CallLocal:
		target := pc + 1 + int(in.Imm)
		if sp := v.subprogIndex(target); v.isGlobal(sp) {
			return v.checkGlobalCall(st, pc, sp)
		}
		return v.checkLocalCall(st, pc, target, cbNone)
	case bpfvm.CallHelper:
		return v.checkHelperCall(st, pc, in.Imm)
	case bpfvm.CallKfunc:
		return v.checkKfuncCall(st, pc, in.Imm)
	}
	return 0, false, v.errorState(st, pc, "invalid call kind %d", in.Src)
}

// enterFrame pushes a frame for the function at target.
func (v *verifier) enterFrame(st *vstate, pc, target int, cb callbackKind) error {
	if len(st.frames) >= bpfvm.MaxCallFrames {
		return v.errorState(st, pc, "the call stack of %d frames is too deep", len(st.frames)+1)
	}
	sp := v.subprogIndex(target)
	if sp < 0 {
		return v.errorState(st, pc, "call to invalid destination")
	}
	nf := &funcState{callsite: pc, subprog: sp, frameNo: uint8(len(st.frames)), cb: cb, pool: &v.stacks}
	if int(nf.frameNo) < len(st.segWritten) {
		st.segWritten[nf.frameNo] = ^uint64(0) // a new frame: nothing above it is read
	}
	nf.regs[10] = makePtr(ptrToStack)
	nf.regs[10].frameNo = nf.frameNo
	st.frames = append(st.frames, nf)
	return nil
}

func (v *verifier) checkLocalCall(st *vstate, pc, target int, cb callbackKind) (int, bool, error) {
	caller := st.cur()
	if err := v.enterFrame(st, pc, target, cb); err != nil {
		return 0, false, err
	}
	callee := st.cur()
	for r := 1; r <= 5; r++ {
		callee.regs[r] = caller.regs[r]
	}
	return target, false, nil
}

// clobberCallerSaved marks r0-r5 unreadable after a helper call.
func clobberCallerSaved(f *funcState) {
	for r := 0; r <= 5; r++ {
		f.regs[r] = regState{}
	}
}

// lockSafeCall reports whether a helper/kfunc may be called under a lock.
func lockSafeHelper(h *bpfvm.Helper) bool {
	return h.LockSafe || h.ID == helperSpinLock || h.ID == helperSpinUnlock
}

var lockKfuncs = map[string]bool{
	"bpf_res_spin_lock": true, "bpf_res_spin_unlock": true,
	"bpf_res_spin_lock_irqsave": true, "bpf_res_spin_unlock_irqrestore": true,
}

// ---- helpers ----

type argMeta struct {
	mapIdx    int32
	hasMap    bool
	timerMap  int32 // map of the bpf_timer argument (process_timer_func)
	hasTimer  bool
	memRegno  int
	memReg    regState
	memWrite  bool
	releaseID uint32
	cbTarget  int32
	uninitMem []uninitMem
}

type uninitMem struct {
	reg  regState
	size uint64
}

func (v *verifier) mapName(i int32) string {
	if ms := v.mapSpec(int(i)); ms != nil {
		return ms.Name
	}
	return "?"
}

// processTimer checks a struct bpf_timer argument: a non-NULL map value
// pointer at the constant offset of the map value's bpf_timer field
// (process_timer_func).
func (v *verifier) processTimer(st *vstate, pc int, regno uint8, r *regState, meta *argMeta) error {
	if r.typ != ptrToMapValue || r.mayBeNull() {
		return v.expectType(st, pc, regno, r, "map_value")
	}
	if int(r.mapIdx) >= len(v.env.Maps) {
		// the kernel tells inner maps of one template apart by map_uid
		// (mark_ptr_not_null_reg); we do not track it, so we refuse
		return v.errorState(st, pc, "bpf_timer in an inner map's value is not supported")
	}
	if !r.isConst() {
		return v.errorState(st, pc, "R%d doesn't have constant offset. bpf_timer has to be at the constant offset", regno)
	}
	ms := v.mapSpec(int(r.mapIdx))
	if ms == nil {
		return v.errorState(st, pc, "R%d invalid map", regno)
	}
	off := int64(r.off) + int64(r.varOff.value)
	var found *specialField
	fields := v.specialFields(ms.Value)
	for i := range fields {
		if fields[i].kind == "bpf_timer" && (found == nil || int64(fields[i].off) == off) {
			found = &fields[i]
		}
	}
	if found == nil {
		return v.errorState(st, pc, "map '%s' has no valid bpf_timer", ms.Name)
	}
	if int64(found.off) != off {
		return v.errorState(st, pc, "off %d doesn't point to 'struct bpf_timer' that is at %d", off, found.off)
	}
	meta.timerMap, meta.hasTimer = r.mapIdx, true
	return nil
}

// pushAsyncCallback queues the verification of a bpf_timer callback
// (push_async_cb, set_timer_callback_state): it runs later, on its own,
// as frame 0 of a new call chain, with r1 = the timer's map, r2 = the key
// (read-only, key_size bytes) and r3 = the map value holding the timer; it
// must return 0 and hold no lock or reference at exit.
func (v *verifier) pushAsyncCallback(st *vstate, pc, target int, timerMap int32) error {
	sp := v.subprogIndex(target)
	if sp <= 0 {
		return v.errorState(st, pc, "call to invalid destination")
	}
	ms := v.mapSpec(int(timerMap))
	if ms == nil {
		return v.errorState(st, pc, "invalid map")
	}
	if v.async == nil {
		v.async = make(map[int]bool)
	}
	v.async[sp] = true
	f := &funcState{callsite: -1, subprog: sp, cb: cbAsync, pool: &v.stacks}
	f.regs[1] = makePtr(constPtrToMap)
	f.regs[1].mapIdx = timerMap
	f.regs[2] = makePtr(ptrToMem)
	f.regs[2].memSize = ms.KeySize
	f.regs[2].flags = flagRdonly
	f.regs[3] = makePtr(ptrToMapValue)
	f.regs[3].mapIdx = timerMap
	f.regs[3].id = v.newID()
	f.regs[10] = makePtr(ptrToStack)
	ns := &vstate{frames: []*funcState{f}, asyncEntry: v.newID()}
	ns.segWritten[0] = ^uint64(0)
	v.queue = append(v.queue, pendingPath{ns, target})
	v.peakStates = max(v.peakStates, v.stored+len(v.queue))
	return nil
}

// kptrXchg is bpf_kptr_xchg(dst, ptr) (process_kptr_func): dst points, at
// a constant offset, to a referenced kptr field of a map value or an
// allocated object; ptr is NULL or a reference of the field's type, which
// the field takes over; the result is the field's old value, a reference
// (or NULL) the program now owns.
func (v *verifier) kptrXchg(st *vstate, pc int) error {
	f := st.cur()
	r1, err := v.argReg(st, pc, 1)
	if err != nil {
		return err
	}
	r2, err := v.argReg(st, pc, 2)
	if err != nil {
		return err
	}
	var fields []specialField
	switch {
	case r1.mayBeNull():
		return v.errorState(st, pc, "R1 type=%s expected=map_value", v.typeName(r1))
	case r1.typ == ptrToMapValue:
		ms := v.mapSpec(int(r1.mapIdx))
		if ms == nil {
			return v.errorState(st, pc, "R1 invalid map")
		}
		fields = v.specialFields(ms.Value)
	case r1.typ == ptrToBTFID && r1.flags&flagAlloc != 0 && r1.flags&flagUntrusted == 0:
		fields = v.specialFields(v.btfT(r1.btfIdx))
	default:
		return v.errorState(st, pc, "R1 type=%s expected=map_value", v.typeName(r1))
	}
	if !r1.isConst() {
		return v.errorState(st, pc, "R1 doesn't have constant offset. kptr has to be at the constant offset")
	}
	off := int64(r1.off) + int64(r1.varOff.value)
	var kf *specialField
	hasKptr := false
	for i := range fields {
		if isKptr(fields[i].kind) {
			hasKptr = true
			if int64(fields[i].off) == off {
				kf = &fields[i]
			}
		}
	}
	if !hasKptr {
		return v.errorState(st, pc, "R1 has no valid kptr")
	}
	if kf == nil {
		return v.errorState(st, pc, "off=%d doesn't point to kptr", off)
	}
	if kf.kind != "kptr" {
		return v.errorState(st, pc, "off=%d kptr isn't referenced kptr", off)
	}
	kernelType := v.kernelStruct(kf.target.Name)
	if r2.isNullConst() {
		v.markPrecise(st, 2)
	} else {
		want := "ptr_" + kf.target.Name
		if r2.typ != ptrToBTFID || v.btfT(r2.btfIdx) == nil || v.btfT(r2.btfIdx).TypeName() != kf.target.Name || !r2.isConst() ||
			r2.off != 0 || r2.varOff.value != 0 || (kernelType == nil) != (r2.flags&flagAlloc != 0) {
			// map_kptr_match_type (verifier.c 6.12)
			name := ""
			if r2.typ == ptrToBTFID && v.btfT(r2.btfIdx) != nil {
				name = v.btfT(r2.btfIdx).TypeName()
			}
			return v.errorState(st, pc, "invalid kptr access, R2 type=%s%s expected=%s", v.typeName(r2), name, want)
		}
		if r2.refID == 0 || r2.flags&flagNonOwn != 0 {
			return v.errorState(st, pc, "R2 must be referenced when passed to release function")
		}
		if err := v.releaseRef(st, pc, r2.refID); err != nil {
			return err
		}
	}
	clobberCallerSaved(f)
	r0 := &f.regs[0]
	*r0 = makePtr(ptrToBTFID)
	if kernelType != nil {
		r0.btfIdx = v.typeID(kernelType)
		r0.flags = flagTrusted | flagMaybeNull
	} else {
		r0.btfIdx = v.typeID(kf.target)
		r0.flags = flagAlloc | flagMaybeNull
	}
	r0.refID = v.acquireRef(st, pc)
	r0.id = r0.refID
	return nil
}

// memTypesExpected lists the kernel's mem_types (verifier.c 6.12) as
// check_reg_type prints them.
const memTypesExpected = "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"

// kernelHelperCount: helpers 1..211 exist in Linux 6.12 (__BPF_FUNC_MAPPER
// in include/uapi/linux/bpf.h ends with bpf_cgrp_storage_delete, 211).
const kernelHelperCount = 212

func (v *verifier) checkHelperCall(st *vstate, pc int, id int32) (int, bool, error) {
	var h *bpfvm.Helper
	if v.env.Registry != nil {
		h = v.env.Registry.Helper(id)
	}
	if h == nil {
		if id > 0 && id < kernelHelperCount {
			return 0, false, v.notModelled(st, pc, "helper #%d is not modelled (program type %s)", id, v.progType())
		}
		return 0, false, v.errorState(st, pc, "invalid func unknown#%d", id)
	}
	if v.env.HelperAllowed != nil && !v.env.HelperAllowed(id) {
		return 0, false, v.errorState(st, pc, "program of this type cannot use helper %s#%d", h.Name, id)
	}
	if len(st.locks) > 0 && !lockSafeHelper(h) {
		return 0, false, v.errorState(st, pc, "function calls are not allowed while holding a lock")
	}
	if id == helperKptrXchg {
		return pc + 1, false, v.kptrXchg(st, pc)
	}
	if id == helperPerCPUPtr || id == helperThisCPUPtr {
		if handled, err := v.perCPUPtr(st, pc, id); handled {
			return pc + 1, false, err
		}
	}
	f := st.cur()
	meta := argMeta{memRegno: -1, cbTarget: -1}
	for i := 0; i < 5; i++ {
		at := h.Args[i]
		if at == bpfvm.ArgNone {
			break
		}
		regno := uint8(i + 1)
		if err := v.checkHelperArg(st, pc, h, i, regno, at, &meta); err != nil {
			return 0, false, err
		}
	}
	var rbSize uint32
	switch id {
	case helperUserRingbufDrain:
		if err := v.userRingbufDrainArgs(st, pc); err != nil {
			return 0, false, err
		}
	case helperDynptrData:
		n, err := v.constSizeArg(st, pc, 3)
		if err != nil {
			return 0, false, err
		}
		rbSize = n
	case helperRingbufReserve:
		n, err := v.ringbufReserveSize(st, pc)
		if err != nil {
			return 0, false, err
		}
		rbSize = n
	case helperSnprintf:
		if err := v.checkSnprintf(st, pc); err != nil {
			return 0, false, err
		}
	case helperRingbufSubmit, helperRingbufDiscard:
		if err := v.ringbufRelease(st, pc); err != nil {
			return 0, false, err
		}
	case helperSpinLock, helperSpinUnlock:
		if err := v.processSpinLock(st, pc, 1, id == helperSpinLock, lockSpin); err != nil {
			return 0, false, err
		}
	}
	var releaseErr error
	if h.Release {
		ri := h.ReleaseArg
		if ri < 0 || ri > 4 {
			ri = 0
		}
		r := &f.regs[ri+1]
		if r.refID == 0 {
			return 0, false, v.errorState(st, pc, "R%d must be referenced when passed to release function", ri+1)
		}
		releaseErr = v.releaseRef(st, pc, r.refID)
	}
	if releaseErr != nil {
		return 0, false, releaseErr
	}
	if id == helperLoop {
		return v.callBpfLoop(st, pc, &meta)
	}
	if id == helperUserRingbufDrain {
		return v.callUserRingbufDrain(st, pc, &meta)
	}
	if id == helperTimerSetCallback {
		if !meta.hasTimer || meta.cbTarget < 0 {
			return 0, false, v.errorState(st, pc, "kernel subsystem misconfigured verifier: %s without a timer and a callback", h.Name)
		}
		if err := v.pushAsyncCallback(st, pc, int(meta.cbTarget), meta.timerMap); err != nil {
			return 0, false, err
		}
	}
	if meta.hasMap {
		// check_map_func_compatibility: BPF_F_RDONLY_PROG maps take no
		// update, delete, push or pop (map_update_elem 2, delete 3, push 87,
		// pop 88)
		if ms := v.mapSpec(int(meta.mapIdx)); ms != nil && !mapCanWrite(ms) && (id == 2 || id == 3 || id == 87 || id == 88) {
			return 0, false, v.errorState(st, pc, "write into map forbidden")
		}
	}
	for _, m := range meta.uninitMem {
		v.markMemWritten(st, m.reg, m.size)
	}
	clobberCallerSaved(f)
	r0 := &f.regs[0]
	switch h.Ret {
	case bpfvm.RetInteger, bpfvm.RetVoid:
		*r0 = unknownScalar()
	case bpfvm.RetPtrToMapValueOrNull:
		if !meta.hasMap {
			return 0, false, v.errorState(st, pc, "kernel subsystem misconfigured verifier: %s returns a map value without a map argument", h.Name)
		}
		*r0 = makePtr(ptrToMapValue)
		r0.mapIdx = meta.mapIdx
		r0.flags = flagMaybeNull
		r0.id = v.newID()
	case bpfvm.RetPtrToMemOrNull:
		*r0 = makePtr(ptrToMem)
		r0.memSize = uint32(max(h.RetSize, 0))
		if id == helperRingbufReserve || id == helperDynptrData {
			r0.memSize = rbSize
		}
		r0.flags = flagMaybeNull
		if !h.Acquire {
			r0.id = v.newID()
		}
	case bpfvm.RetPtrToBTFIDOrNull, bpfvm.RetPtrToBTFID:
		t := v.kernelStruct(h.RetBTFType)
		if t == nil {
			return 0, false, v.errorState(st, pc, "helper %s returns unknown kernel type %q", h.Name, h.RetBTFType)
		}
		*r0 = makePtr(ptrToBTFID)
		r0.btfIdx = v.typeID(t)
		r0.flags = flagTrusted
		if h.Ret == bpfvm.RetPtrToBTFIDOrNull {
			r0.flags |= flagMaybeNull
			r0.id = v.newID()
		}
	default:
		*r0 = unknownScalar()
	}
	if h.Acquire {
		if !r0.isPtr() {
			return 0, false, v.errorState(st, pc, "kernel subsystem misconfigured verifier: acquire helper %s returns no pointer", h.Name)
		}
		r0.refID = v.acquireRef(st, pc)
		if r0.mayBeNull() || r0.id == 0 {
			r0.id = r0.refID
		}
	}
	return pc + 1, false, nil
}

func (v *verifier) kernelStruct(name string) btf.Type {
	if v.env.KernelBTF == nil || name == "" {
		return nil
	}
	var s *btf.Struct
	if err := v.env.KernelBTF.TypeByName(name, &s); err != nil {
		return nil
	}
	return s
}

func (v *verifier) expectType(st *vstate, pc int, regno uint8, r *regState, expected string) error {
	return v.errorState(st, pc, "R%d type=%s expected=%s", regno, v.typeName(r), expected)
}

func (v *verifier) checkHelperArg(st *vstate, pc int, h *bpfvm.Helper, i int, regno uint8, at bpfvm.ArgType, meta *argMeta) error {
	f := st.cur()
	r := &f.regs[regno]
	if r.typ == notInit {
		return v.errorState(st, pc, "R%d !read_ok", regno)
	}
	switch at {
	case bpfvm.ArgAnything:
		return nil
	case bpfvm.ArgScalar:
		if r.typ != scalarValue {
			return v.expectType(st, pc, regno, r, "scalar")
		}
	case bpfvm.ArgConstMapPtr:
		if r.typ != constPtrToMap {
			return v.expectType(st, pc, regno, r, "map_ptr")
		}
		if meta.hasTimer && r.mapIdx != meta.timerMap {
			return v.errorState(st, pc, "timer pointer in R1 map=%s doesn't match map pointer in R%d map=%s",
				v.mapName(meta.timerMap), regno, v.mapName(r.mapIdx))
		}
		meta.mapIdx, meta.hasMap = r.mapIdx, true
	case bpfvm.ArgPtrToMapKey, bpfvm.ArgPtrToMapValue, bpfvm.ArgPtrToUninitMapValue, bpfvm.ArgPtrToMapValueOrNull:
		mr := *r
		if at == bpfvm.ArgPtrToMapValueOrNull {
			// check_func_arg: a NULL register skips the check; a
			// maybe-NULL pointer is checked as the pointer
			// (check_reg_type folds PTR_MAYBE_NULL for such arguments)
			if r.isNullConst() {
				v.markPrecise(st, int(regno))
				return nil
			}
			mr.flags &^= flagMaybeNull
		}
		if !meta.hasMap {
			return v.errorState(st, pc, "invalid map_ptr to access map->key")
		}
		// check_reg_type with mem_types: kernel objects only for read-only
		// arguments (a map key or value is not one), allocated objects never
		if mr.typ == ptrToBTFID {
			if mr.flags&flagAlloc == 0 && mr.flags&flagTrusted != 0 {
				return v.errorState(st, pc, "%s() may write into memory pointed by R%d type=%s", h.Name, regno, v.typeName(r))
			}
			return v.expectType(st, pc, regno, r, memTypesExpected)
		}
		ms := v.mapSpec(int(meta.mapIdx))
		size := ms.KeySize
		if at != bpfvm.ArgPtrToMapKey {
			size = ms.ValueSize
		}
		write := at == bpfvm.ArgPtrToUninitMapValue
		if err := v.checkMemArg(st, pc, regno, &mr, uint64(size), write, false); err != nil {
			return err
		}
		if write {
			meta.uninitMem = append(meta.uninitMem, uninitMem{*r, uint64(size)})
		}
	case bpfvm.ArgPtrToMem, bpfvm.ArgPtrToUninitMem, bpfvm.ArgPtrToMemOrNull:
		// NULL only where the prototype says PTR_MAYBE_NULL (check_func_arg)
		if !r.isPtr() && !(r.isNullConst() && at == bpfvm.ArgPtrToMemOrNull) {
			return v.expectType(st, pc, regno, r, memTypesExpected)
		}
		if r.typ == ptrToBTFID && r.flags&flagAlloc != 0 {
			// check_reg_type: mem_types has no MEM_ALLOC object
			return v.expectType(st, pc, regno, r, memTypesExpected)
		}
		meta.memRegno = int(regno)
		meta.memReg = *r
		// bpf_snprintf writes its output into its first argument
		meta.memWrite = at == bpfvm.ArgPtrToUninitMem || h.ID == helperSnprintf && regno == 1
	case bpfvm.ArgConstSize, bpfvm.ArgConstSizeOrZero:
		if r.typ != scalarValue {
			return v.expectType(st, pc, regno, r, "scalar")
		}
		v.markPrecise(st, int(regno))
		if meta.memRegno >= 0 && meta.memReg.typ == scalarValue {
			v.markPrecise(st, meta.memRegno)
		}
		if meta.memRegno < 0 {
			return v.errorState(st, pc, "arg %d of %s is a size without a memory argument before it", i+1, h.Name)
		}
		if r.smin < 0 {
			return v.errorState(st, pc, "R%d min value is negative, either use unsigned or 'var &= const'", regno)
		}
		if r.umin == 0 && at == bpfvm.ArgConstSize {
			return v.errorState(st, pc, "R%d invalid zero-sized read: u64=[%d,%d]", regno, r.umin, r.umax)
		}
		if r.umax >= maxVarOff {
			return v.errorState(st, pc, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", regno)
		}
		mr := meta.memReg
		if mr.isNullConst() {
			if r.umax != 0 {
				return v.errorState(st, pc, "R%d type=scalar expected=%s", meta.memRegno, memTypesExpected)
			}
			return nil
		}
		if r.umax > 0 {
			if err := v.checkMemArg(st, pc, uint8(meta.memRegno), &mr, r.umax, meta.memWrite, false); err != nil {
				return err
			}
			if meta.memWrite {
				meta.uninitMem = append(meta.uninitMem, uninitMem{mr, r.umax})
			}
		}
	case bpfvm.ArgPtrToCtx:
		if r.typ != ptrToCtx || r.off != 0 || !r.isConst() || r.varOff.value != 0 {
			return v.expectType(st, pc, regno, r, "ctx")
		}
	case bpfvm.ArgPtrToStack:
		if r.typ != ptrToStack {
			return v.expectType(st, pc, regno, r, "fp")
		}
	case bpfvm.ArgPtrToFunc:
		if r.typ != ptrToFunc {
			return v.expectType(st, pc, regno, r, "func")
		}
		if h.ID != helperLoop && h.ID != helperTimerSetCallback && h.ID != helperUserRingbufDrain {
			return v.errorState(st, pc, "callbacks of helper %s are not supported", h.Name)
		}
		meta.cbTarget = r.subprog
	case bpfvm.ArgPtrToDynptr, bpfvm.ArgPtrToDynptrUninit, bpfvm.ArgPtrToDynptrRelease:
		return v.dynptrArg(st, pc, regno, r, at)
	case bpfvm.ArgPtrToTimer:
		if err := v.processTimer(st, pc, regno, r, meta); err != nil {
			return err
		}
	case bpfvm.ArgPtrToSpinLock:
		// checked by processSpinLock
		if r.typ != ptrToMapValue || r.mayBeNull() {
			if r.flags&flagAlloc == 0 {
				return v.expectType(st, pc, regno, r, "map_value")
			}
		}
	case bpfvm.ArgPtrToBTFID, bpfvm.ArgPtrToBTFIDOrNull:
		if at == bpfvm.ArgPtrToBTFIDOrNull && r.isNullConst() {
			v.markPrecise(st, int(regno))
			return nil
		}
		want := h.ArgBTFType[i]
		if r.typ != ptrToBTFID {
			return v.expectType(st, pc, regno, r, "ptr_"+want)
		}
		if r.mayBeNull() && at != bpfvm.ArgPtrToBTFIDOrNull {
			return v.errorState(st, pc, "Possibly NULL pointer passed to helper arg%d", i+1)
		}
		if want != "" && (v.btfT(r.btfIdx) == nil || v.btfT(r.btfIdx).TypeName() != want || r.off != 0) {
			return v.expectType(st, pc, regno, r, "ptr_"+want)
		}
		// check_reg_type: btf_ptr_types are PTR_TO_BTF_ID bare (flagLegacy),
		// PTR_TRUSTED or MEM_RCU; PTR_UNTRUSTED is none of them
		if r.flags&flagUntrusted != 0 && r.flags&flagLegacy == 0 {
			return v.errorState(st, pc, "R%d must be referenced or trusted", regno)
		}
	case bpfvm.ArgConstStrPtr:
		if r.typ != ptrToMapValue || r.mayBeNull() {
			return v.expectType(st, pc, regno, r, "map_value")
		}
		ms := v.mapSpec(int(r.mapIdx))
		if ms == nil || !ms.ReadOnly {
			return v.errorState(st, pc, "R%d does not point to a readonly map'", regno)
		}
		if !r.isConst() {
			return v.errorState(st, pc, "R%d is not a constant address'", regno)
		}
		if err := v.regionAccess(st, pc, regno, *r, 0, 1, int64(ms.ValueSize), "map value"); err != nil {
			return err
		}
	}
	return nil
}

// checkMemArg checks that size bytes at r are accessible for a helper
// (check_helper_mem_access): readable and initialised, or writable.
func (v *verifier) checkMemArg(st *vstate, pc int, regno uint8, r *regState, size uint64, write, nullOK bool) error {
	if nullOK && r.isNullConst() {
		return nil
	}
	if r.mayBeNull() {
		return v.errorState(st, pc, "R%d invalid mem access '%s'", regno, v.typeName(r))
	}
	switch r.typ {
	case ptrToStack:
		return v.stackRangeAccess(st, pc, regno, *r, int64(size), write)
	case ptrToMapValue:
		ms := v.mapSpec(int(r.mapIdx))
		if ms == nil {
			return v.errorState(st, pc, "R%d invalid map", regno)
		}
		if err := v.mapAccessType(st, pc, ms, int64(r.off), int64(size), write); err != nil {
			return err
		}
		if err := v.regionAccess(st, pc, regno, *r, 0, int(size), int64(ms.ValueSize), "map value"); err != nil {
			return err
		}
		return v.indirectFieldAccess(st, pc, r, v.specialFields(ms.Value), size)
	case ptrToMem:
		if write && r.flags&flagRdonly != 0 {
			return v.errorState(st, pc, "cannot write into %s", v.typeName(r))
		}
		return v.regionAccess(st, pc, regno, *r, 0, int(size), int64(r.memSize), "mem")
	case ptrToBTFID:
		if r.flags&flagAlloc != 0 {
			s, _ := btf.UnderlyingType(v.btfT(r.btfIdx)).(*btf.Struct)
			if s != nil {
				if err := v.regionAccess(st, pc, regno, *r, 0, int(size), int64(s.Size), "mem"); err != nil {
					return err
				}
				return v.indirectFieldAccess(st, pc, r, v.specialFields(s), size)
			}
		}
		if r.flags == flagTrusted && !write {
			// mem_types' PTR_TO_BTF_ID | PTR_TRUSTED: read as
			// check_ptr_to_btf_access does, at a constant offset inside
			// the object (bpf_strncmp(p->comm, 8, "..."), scx_lavd).
			// Writes into kernel objects are refused (stricter than the
			// kernel, which checks even an uninit-mem argument as a read)
			s, _ := btf.UnderlyingType(v.btfT(r.btfIdx)).(*btf.Struct)
			if s == nil {
				return v.expectType(st, pc, regno, r, memTypesExpected)
			}
			if !r.isConst() || r.varOff.value != 0 {
				return v.errorState(st, pc, "R%d is ptr_%s invalid variable offset: off=%d, var_off=%s", regno, s.Name, r.off, r.varOff)
			}
			if r.off < 0 || uint64(r.off)+size > uint64(s.Size) {
				return v.errorState(st, pc, "access beyond struct %s at off %d size %d", s.Name, r.off, size)
			}
			return nil
		}
	}
	return v.expectType(st, pc, regno, r, memTypesExpected)
}

// indirectFieldAccess: memory a helper or a global function reads or
// writes as plain bytes holds no lock, timer, graph root or node, or kptr
// (check_map_access with ACCESS_HELPER).
func (v *verifier) indirectFieldAccess(st *vstate, pc int, r *regState, fields []specialField, size uint64) error {
	lo := int64(r.off) + r.smin
	hi := int64(r.off) + int64(r.umax) + int64(size)
	if r.isConst() {
		lo = int64(r.off) + int64(r.varOff.value)
		hi = lo + int64(size)
	}
	for _, sf := range fields {
		if lo >= int64(sf.off+sf.size) || hi <= int64(sf.off) {
			continue
		}
		if isKptr(sf.kind) {
			return v.errorState(st, pc, "kptr cannot be accessed indirectly by helper")
		}
		return v.errorState(st, pc, "%s cannot be accessed directly by load/store", sf.kind)
	}
	return nil
}

// stackRangeAccess checks size bytes of stack at r (check_stack_range_initialized).
func (v *verifier) stackRangeAccess(st *vstate, pc int, regno uint8, r regState, size int64, write bool) error {
	lo := int64(r.off) + r.smin
	hi := int64(r.off) + r.smax
	if r.isConst() {
		lo = int64(r.off) + int64(r.varOff.value)
		hi = lo
	}
	if r.smin == math.MinInt64 || r.smax == math.MaxInt64 || lo < -bpfvm.StackSize || hi+size > 0 || size <= 0 {
		if r.isConst() {
			return v.errorState(st, pc, "invalid indirect access to stack R%d off=%d size=%d", regno, lo, size)
		}
		return v.errorState(st, pc, "invalid variable-offset indirect access to stack R%d var_off=%s size=%d", regno, r.varOff, size)
	}
	f := v.frameOf(st, &r)
	v.noteStackDepth(st, pc, &r, int(-lo))
	f.growStack(int(-lo))
	if write {
		return nil
	}
	v.stackRead(st, &r, lo, hi+size)
	for a := lo; a < hi+size; a++ {
		sl, b := stackByte(f, a)
		if sl.types[b] == slotIter || sl.types[b] == slotInvalid && v.env.Unprivileged {
			if r.isConst() {
				return v.errorState(st, pc, "invalid indirect read from stack R%d off %d+%d size %d", regno, lo, a-lo, size)
			}
			return v.errorState(st, pc, "invalid indirect read from stack R%d var_off %s+%d size %d", regno, r.varOff, r.off, size)
		}
	}
	return nil
}

// markMemWritten records that a helper wrote size bytes at r.
func (v *verifier) markMemWritten(st *vstate, r regState, size uint64) {
	if r.typ != ptrToStack {
		return
	}
	f := v.frameOf(st, &r)
	f.ownStack()
	lo := int64(r.off) + r.smin
	hi := int64(r.off) + r.smax
	if r.isConst() {
		lo = int64(r.off) + int64(r.varOff.value)
		hi = lo
	}
	for a := lo; a < hi+int64(size) && a < 0; a++ {
		if a < -int64(len(f.stack))*8 {
			continue
		}
		sl, b := stackByte(f, a)
		if sl.types[0] == slotIter {
			scrubIter(sl)
		}
		if sl.isSpill() {
			scrubSpill(sl)
		}
		if r.isConst() || sl.types[b] != slotInvalid {
			sl.types[b] = slotMisc
		}
	}
}

// ---- references ----

func (v *verifier) acquireRef(st *vstate, pc int) uint32 {
	id := v.newID()
	st.refs = append(st.refs, refState{id: id, insn: pc})
	return id
}

// releaseRef releases reference id and invalidates every register holding
// it (release_reference).
func (v *verifier) releaseRef(st *vstate, pc int, id uint32) error {
	if !v.dropRef(st, id) {
		return v.errorState(st, pc, "release of unacquired reference id=%d", id)
	}
	st.forEachReg(func(r *regState) {
		if r.refID == id {
			*r = unknownScalar()
		}
	})
	return nil
}

// ---- locks ----

// lockTarget validates a lock argument and returns its class and pointer id
// (process_spin_lock).
func (v *verifier) lockTarget(st *vstate, pc int, regno uint8, kind lockKind) (LockClass, uint32, error) {
	r := &st.cur().regs[regno]
	name := kind.fn()
	if r.typ == notInit {
		return LockClass{}, 0, v.errorState(st, pc, "R%d !read_ok", regno)
	}
	if r.typ != ptrToMapValue && !(r.typ == ptrToBTFID && r.flags&flagAlloc != 0) || r.mayBeNull() {
		return LockClass{}, 0, v.errorState(st, pc, "arg#%d doesn't point to map value or allocated object (R%d type=%s)", regno-1, regno, v.typeName(r))
	}
	if !r.isConst() {
		return LockClass{}, 0, v.errorState(st, pc, "R%d doesn't have constant offset. %s_lock has to be at the constant offset", regno, name)
	}
	val := int64(r.off) + int64(r.varOff.value)
	var t btf.Type
	var cls LockClass
	if r.typ == ptrToMapValue {
		ms := v.mapSpec(int(r.mapIdx))
		if ms == nil {
			return LockClass{}, 0, v.errorState(st, pc, "R%d invalid map", regno)
		}
		t = ms.Value
		cls.Map = ms.Name
		if ms.Section != "" && cls.Map == "" {
			cls.Map = ms.Section
		}
	} else {
		t = v.btfT(r.btfIdx)
		cls.Map = "obj:" + v.btfT(r.btfIdx).TypeName()
	}
	want := "bpf_spin_lock"
	if kind != lockSpin {
		want = "bpf_res_spin_lock"
	}
	var found *specialField
	fields := v.specialFields(t)
	for i := range fields {
		if fields[i].kind == want && (found == nil || int64(fields[i].off) == val) {
			found = &fields[i]
		}
	}
	if found == nil {
		what, nm := "map", cls.Map
		if r.typ != ptrToMapValue {
			what, nm = "local", "kptr"
		}
		return LockClass{}, 0, v.errorState(st, pc, "%s '%s' has no valid %s_lock", what, nm, name)
	}
	if int64(found.off) != val {
		return LockClass{}, 0, v.errorState(st, pc, "off %d doesn't point to 'struct %s_lock' that is at %d", val, name, found.off)
	}
	cls.Off = uint32(val)
	id := r.id
	if r.typ == ptrToMapValue {
		if ms := v.mapSpec(int(r.mapIdx)); ms != nil && ms.Section != "" {
			id = 0 // a global section has a single value
		}
	}
	return cls, id, nil
}

// inRbLess reports whether the path is inside an rbtree less() callback
// (in_rbtree_lock_required_cb): the lock is held by the caller, the
// callback may only compare.
func inRbLess(st *vstate) bool {
	for _, f := range st.frames {
		if f.cb == cbRbLess {
			return true
		}
	}
	return false
}

func (v *verifier) processSpinLock(st *vstate, pc int, regno uint8, lock bool, kind lockKind) error {
	if inRbLess(st) {
		fn := kind.fn() + "_unlock"
		if lock {
			fn = kind.fn() + "_lock"
		}
		return v.errorState(st, pc, "%s not allowed in rbtree cb", fn)
	}
	cls, id, err := v.lockTarget(st, pc, regno, kind)
	if err != nil {
		return err
	}
	name := kind.fn()
	if lock {
		return v.acquireLock(st, pc, cls, id, kind)
	}
	if len(st.locks) == 0 {
		return v.errorState(st, pc, "%s_unlock without taking a lock", name)
	}
	idx := -1
	for i := range st.locks {
		if st.locks[i].class == cls && st.locks[i].ptrID == id && (st.locks[i].kind == kind || kind != lockSpin && st.locks[i].kind != lockSpin) {
			idx = i
		}
	}
	if idx < 0 {
		return v.errorState(st, pc, "%s_unlock of different lock", name)
	}
	if idx != len(st.locks)-1 {
		top := st.locks[len(st.locks)-1]
		return v.errorState(st, pc, "%s_unlock cannot be out of order: %s (taken at insn %d) is still held and must be released first", name, top.class, top.insn)
	}
	if st.locks[idx].kind != kind {
		return v.errorState(st, pc, "%s_unlock of different lock", name)
	}
	released := st.locks[idx].id
	st.locks = st.locks[:idx]
	// non-owning references are valid only inside the critical section of
	// the lock guarding their tree or list (invalidate_non_owning_refs)
	st.forEachReg(func(r *regState) {
		if r.flags&flagNonOwn != 0 && (r.guard == released || r.guard == 0) {
			*r = unknownScalar()
		}
	})
	return nil
}

func (v *verifier) acquireLock(st *vstate, pc int, cls LockClass, id uint32, kind lockKind) error {
	for _, l := range st.locks {
		if l.class == cls && l.ptrID == id {
			return v.errorState(st, pc, "Acquiring the same lock again, AA deadlock detected (%s taken at insn %d)", cls, l.insn)
		}
	}
	if len(st.locks) >= v.maxLocks {
		return v.errorState(st, pc, "Maximum number of held locks (%d) exceeded", v.maxLocks)
	}
	for _, l := range st.locks {
		if l.class != cls {
			v.recordEdge(l, cls, pc)
		}
	}
	st.locks = append(st.locks, heldLock{id: v.newID(), class: cls, ptrID: id, insn: pc, kind: kind})
	return nil
}

func (v *verifier) recordEdge(held heldLock, taken LockClass, pc int) {
	if v.recorder != nil {
		v.recorder.edge(v, held, taken, pc)
	}
	key := [2]LockClass{held.class, taken}
	if v.edgeSeen == nil {
		v.edgeSeen = make(map[[2]LockClass]bool)
	}
	if v.edgeSeen[key] {
		return
	}
	v.edgeSeen[key] = true
	e := LockEdge{Held: held.class, Taken: taken, Prog: v.prog.Name, HeldPC: held.insn, PC: pc}
	e.HeldLine, e.HasHeldL = v.prog.LineFor(held.insn)
	e.Line, e.HasLine = v.prog.LineFor(pc)
	v.edges = append(v.edges, e)
}

// ---- bpf_loop ----

// callBpfLoop: the callback runs zero or more times. The current path enters
// it; a queued path continues after the call as if it ran no (more) times.
// At the callback's exit the path returns to the call instruction
// (like the kernel's callback loop handling).
func (v *verifier) callBpfLoop(st *vstate, pc int, meta *argMeta) (int, bool, error) {
	f := st.cur()
	v.markPrecise(st, 1) // the callback's index ranges over [0, nr)
	if nr := f.regs[1]; f.loopDepth >= nr.umax {
		// the iteration limit: as many rounds as nr can be have run on
		// this path (check_helper_call's BPF_FUNC_loop, verifier.c 6.12)
		f.loopDepth = 0
		clobberCallerSaved(f)
		f.regs[0] = unknownScalar()
		return pc + 1, false, nil
	}
	target := int(meta.cbTarget)
	// A count of at most v.widenAfter rounds is unrolled exactly, as the
	// kernel does, up to its limit; a larger one is widened
	cf, err := v.enterCallback(st, pc, meta, f.regs[1].umax > uint64(v.widenAfter))
	if err != nil {
		return 0, false, err
	}
	nr := f.regs[1] // (f, the caller, as widened)
	ctx := f.regs[3]
	idx := unknownBounds()
	idx.umin, idx.umax = 0, math.MaxUint32
	if nr.umax > 0 && nr.umax-1 < math.MaxUint32 {
		idx.umax = nr.umax - 1
	}
	idx.sync()
	cf.regs[1] = makeScalar(idx)
	cf.regs[2] = ctx
	return target, false, nil
}

// enterCallback starts a round of a callback that runs zero or more times
// (bpf_loop, bpf_user_ringbuf_drain): a queued path continues after the
// call as if it ran no (more) times, the current one enters the callback's
// frame, which it returns.
func (v *verifier) enterCallback(st *vstate, pc int, meta *argMeta, widen bool) (*funcState, error) {
	if widen {
		// another round of the callback: forget what keeps changing (the
		// kernel gets there by giving the index no range; our index has
		// one, and backtracking through the callback marks what it
		// touched precise)
		v.widenAtLoopHead(st, pc, uint32(v.widenAfter)+1)
	}
	after := v.push(st, pc+1)
	af := after.cur()
	// push_callback_call: the path past the call starts its count of
	// rounds anew; the callback's caller has entered one more
	af.loopDepth = 0
	clobberCallerSaved(af)
	af.regs[0] = unknownScalar()
	st.cur().loopDepth++
	if err := v.enterFrame(st, pc, int(meta.cbTarget), cbLoop); err != nil {
		return nil, err
	}
	st.cbUnroll++
	return st.cur(), nil
}

// ---- kfuncs ----

func paramSuffix(name string) string {
	for _, s := range []string{"__ign", "__k", "__szk", "__sz", "__nullable", "__opt", "__uninit", "__iter", "__str", "__alloc", "__refcounted_kptr", "__map", "__prog"} {
		if strings.HasSuffix(name, s) {
			return s
		}
	}
	return ""
}

func isScalarType(t btf.Type) bool {
	switch btf.UnderlyingType(t).(type) {
	case *btf.Int, *btf.Enum:
		return true
	}
	return false
}

// kfuncBTFArgTrust checks an object pointer passed as a kfunc's struct
// argument as check_kfunc_args (Linux 6.12) does: for KF_TRUSTED_ARGS,
// KF_RELEASE and KF_RCU kfuncs no NULL (unless __nullable) and a trusted
// (referenced, PTR_TRUSTED, MEM_ALLOC, non-owning) pointer, or for KF_RCU
// an RCU one; for every kfunc, no modifier but the trusted ones and
// MEM_RCU (bpf_type_has_unsafe_modifiers: no untrusted, maybe-NULL or
// read-only pointer).
func (v *verifier) kfuncBTFArgTrust(st *vstate, pc int, k *bpfvm.Kfunc, i int, regno uint8, r *regState, nullable bool) error {
	trustedArgs := k.Flags&(bpfvm.KfTrustedArgs|bpfvm.KfRelease) != 0
	rcu := k.Flags&bpfvm.KfRCU != 0
	if (trustedArgs || rcu) && r.mayBeNull() && !nullable {
		return v.errorState(st, pc, "Possibly NULL pointer passed to trusted arg%d", i)
	}
	if trustedArgs || rcu {
		if !isTrustedReg(r) {
			if !rcu {
				return v.errorState(st, pc, "R%d must be referenced or trusted", regno)
			}
			if r.flags&flagRCU == 0 {
				return v.errorState(st, pc, "R%d must be a rcu pointer", regno)
			}
		}
	}
	if hasUnsafeModifiers(r) && r.flags&flagRCU == 0 {
		return v.errorState(st, pc, "arg#%d is %s expected ptr_ or socket", i, v.typeName(r))
	}
	return nil
}

// hasUnsafeModifiers is bpf_type_has_unsafe_modifiers: a modifier other
// than PTR_TRUSTED, MEM_ALLOC and NON_OWN_REF (flagLegacy is the kernel's
// bare PTR_TO_BTF_ID, which has none).
func hasUnsafeModifiers(r *regState) bool {
	f := r.flags &^ (flagTrusted | flagAlloc | flagNonOwn)
	if f&flagLegacy != 0 {
		f &^= flagLegacy | flagUntrusted
	}
	return f != 0
}

// isTrustedReg is is_trusted_reg: referenced, or trusted, allocated or
// non-owning with no unsafe modifier.
func isTrustedReg(r *regState) bool {
	if r.refID != 0 {
		return true
	}
	return r.flags&(flagTrusted|flagAlloc|flagNonOwn) != 0 && !hasUnsafeModifiers(r)
}

// isScalarStruct is __btf_type_is_scalar_struct: a struct or union of
// integers, enums, arrays of them and such structs (nested at most 3 deep),
// which a program may build in its own memory for a kfunc.
func isScalarStruct(t btf.Type, depth int) bool {
	var members []btf.Member
	switch u := btf.UnderlyingType(t).(type) {
	case *btf.Struct:
		members = u.Members
	case *btf.Union:
		members = u.Members
	default:
		return false
	}
	if depth >= 3 {
		return false
	}
	for _, m := range members {
		mt := btf.UnderlyingType(m.Type)
		switch u := mt.(type) {
		case *btf.Struct, *btf.Union:
			if !isScalarStruct(u, depth+1) {
				return false
			}
		case *btf.Array:
			if u.Nelems == 0 || !isScalarType(u.Type) {
				return false
			}
		default:
			if !isScalarType(mt) {
				return false
			}
		}
	}
	return true
}

// kfuncTypeStr names a kfunc parameter's pointee as the kernel's
// btf_type_str and name do ("INT u64", "UNKNOWN " for void).
func kfuncTypeStr(t btf.Type) string {
	switch t := t.(type) {
	case nil, *btf.Void:
		return "UNKNOWN "
	case *btf.Int:
		return "INT " + t.Name
	case *btf.Struct:
		return "STRUCT " + t.Name
	case *btf.Union:
		return "UNION " + t.Name
	case *btf.Enum:
		return "ENUM " + t.Name
	case *btf.Pointer:
		return "PTR "
	}
	return fmt.Sprintf("%T", t)
}

func (v *verifier) checkKfuncCall(st *vstate, pc int, id int32) (int, bool, error) {
	var k *bpfvm.Kfunc
	if v.env.Registry != nil {
		k = v.env.Registry.Kfunc(id)
	}
	if k == nil {
		return 0, false, v.errorState(st, pc, "calling kernel function id %d is not allowed", id)
	}
	if v.env.KfuncModelled != nil && !v.env.KfuncModelled(k.Name) {
		return 0, false, v.notModelled(st, pc, "kernel function %s in program type %s is not modelled", k.Name, v.progType())
	}
	if k.Flags&bpfvm.KfPoison != 0 {
		return 0, false, v.notModelled(st, pc, "kernel function %s is not modelled", strings.Trim(k.Name, "<>"))
	}
	if len(st.locks) > 0 && k.Flags&bpfvm.KfLockSafe == 0 && !lockKfuncs[k.Name] {
		return 0, false, v.errorState(st, pc, "function calls are not allowed while holding a lock")
	}
	if k.Flags&bpfvm.KfSleepable != 0 && !v.sleepable() {
		return 0, false, v.errorState(st, pc, "program must be sleepable to call sleepable kfunc %s", k.Name)
	}
	if k.Flags&bpfvm.KfSleepable != 0 && st.rcuLock {
		return 0, false, v.errorState(st, pc, "kernel func %s is sleepable within rcu_read_lock region", k.Name)
	}
	if special, next, done, err := v.specialKfunc(st, pc, k); special {
		return next, done, err
	}
	fproto := v.kfuncProto(k)
	if fproto == nil {
		return 0, false, v.errorState(st, pc, "kernel function %s has no prototype (neither in the registry nor in the kernel BTF)", k.Name)
	}
	f := st.cur()
	params := fproto.Params
	if len(params) > 5 {
		return 0, false, v.errorState(st, pc, "Function %s has %d > 5 args", k.Name, len(params))
	}
	var releaseReg *regState
	var releaseRegno uint8
	var memReg *regState
	var memRegno uint8
	var memWrite bool
	var uninit []uninitMem
	for i, p := range params {
		regno := uint8(i + 1)
		r := &f.regs[regno]
		suf := paramSuffix(p.Name)
		if suf == "__ign" {
			continue
		}
		if r.typ == notInit {
			return 0, false, v.errorState(st, pc, "R%d !read_ok", regno)
		}
		if suf == "__iter" {
			// KF_ARG_PTR_TO_ITER (process_iter_arg): an initialized
			// iterator of the parameter's type, on the stack
			typ := "?"
			if ps := structOfPtr(p.Type); ps != nil {
				typ = strings.TrimPrefix(ps.Name, "bpf_iter_")
			}
			if _, ok := v.iterSlotN(st, r, v.iterSlots(typ), false); !ok {
				return 0, false, v.errorState(st, pc, "expected an initialized iter_%s as arg #%d", typ, i)
			}
			lo := int64(r.off) + int64(r.varOff.value)
			v.stackRead(st, r, lo, lo+int64(v.iterSlots(typ))*8)
			continue
		}
		t := btf.UnderlyingType(p.Type)
		if isScalarType(t) {
			if r.typ != scalarValue {
				return 0, false, v.errorState(st, pc, "R%d is not a scalar", regno)
			}
			if suf == "__k" || suf == "__sz" || suf == "__szk" {
				v.markPrecise(st, int(regno))
			}
			if suf == "__k" && !r.isConst() {
				return 0, false, v.errorState(st, pc, "R%d must be a known constant", regno)
			}
			if suf == "__sz" || suf == "__szk" {
				if memReg == nil {
					return 0, false, v.errorState(st, pc, "arg#%d size without memory argument", i)
				}
				if r.smin < 0 {
					return 0, false, v.errorState(st, pc, "R%d min value is negative, either use unsigned or 'var &= const'", regno)
				}
				if r.umax >= maxVarOff {
					return 0, false, v.errorState(st, pc, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", regno)
				}
				if r.umax > 0 {
					if err := v.checkMemArg(st, pc, memRegno, memReg, r.umax, memWrite, false); err != nil {
						return 0, false, err
					}
					if memWrite {
						uninit = append(uninit, uninitMem{*memReg, r.umax})
					}
				}
				memReg = nil
			}
			continue
		}
		pt, ok := t.(*btf.Pointer)
		if !ok {
			return 0, false, v.errorState(st, pc, "kernel function %s args#%d has unsupported type", k.Name, i)
		}
		nullable := suf == "__nullable" || suf == "__opt"
		if r.isNullConst() {
			if nullable {
				v.markPrecise(st, int(regno))
				continue
			}
			return 0, false, v.errorState(st, pc, "Possibly NULL pointer passed to trusted arg%d", i)
		}
		target := btf.UnderlyingType(pt.Target)
		if s, ok := target.(*btf.Struct); ok && s.Name != "" && !(i+1 < len(params) && paramSuffix(params[i+1].Name) == "__sz") {
			if r.typ == ptrToBTFID {
				if err := v.kfuncBTFArgTrust(st, pc, k, i, regno, r, nullable); err != nil {
					return 0, false, err
				}
				strict := k.Flags&bpfvm.KfRelease != 0 && r.refID != 0
				if v.btfT(r.btfIdx) == nil || !structIDsMatch(v.btfT(r.btfIdx), s.Name, strict) || r.off != 0 || !r.isConst() || r.varOff.value != 0 {
					got := "?"
					if v.btfT(r.btfIdx) != nil {
						got = v.btfT(r.btfIdx).TypeName()
					}
					return 0, false, v.errorState(st, pc, "kernel function %s args#%d expected pointer to STRUCT %s but R%d has a pointer to STRUCT %s", k.Name, i, s.Name, regno, got)
				}
				if k.Flags&bpfvm.KfRelease != 0 && releaseReg == nil {
					releaseReg, releaseRegno = r, regno
				}
				continue
			}
			// a struct of plain data passed by address
			if r.typ == ptrToStack || r.typ == ptrToMapValue || r.typ == ptrToMem {
				if !isScalarStruct(s, 0) {
					// KF_ARG_PTR_TO_MEM: only scalars may be made up
					return 0, false, v.errorState(st, pc, "arg#%d pointer type STRUCT %s must point to scalar, or struct with scalar", i, s.Name)
				}
				sz, err := btf.Sizeof(s)
				if err != nil {
					return 0, false, v.errorState(st, pc, "kernel function %s args#%d: %v", k.Name, i, err)
				}
				if err := v.checkMemArg(st, pc, regno, r, uint64(sz), false, false); err != nil {
					return 0, false, err
				}
				continue
			}
			return 0, false, v.expectType(st, pc, regno, r, "ptr_"+s.Name)
		}
		// pointer to memory: sized by the next __sz argument or by the pointee
		if !r.isPtr() {
			return 0, false, v.expectType(st, pc, regno, r, memTypesExpected)
		}
		if r.typ == ptrToBTFID {
			// get_kfunc_ptr_arg_type: an object pointer is a
			// KF_ARG_PTR_TO_BTF_ID argument, which must be a struct
			return 0, false, v.errorState(st, pc, "kernel function %s args#%d pointer type %s is not supported", k.Name, i, kfuncTypeStr(target))
		}
		if i+1 < len(params) && strings.HasSuffix(params[i+1].Name, "__sz") || i+1 < len(params) && strings.HasSuffix(params[i+1].Name, "__szk") {
			memReg, memRegno, memWrite = r, regno, suf == "__uninit"
			continue
		}
		if _, isVoid := target.(*btf.Void); isVoid || target == nil {
			continue
		}
		if _, isFn := target.(*btf.FuncProto); isFn {
			return 0, false, v.errorState(st, pc, "kernel function %s: callback arguments are not supported", k.Name)
		}
		sz, err := btf.Sizeof(target)
		if err != nil || sz <= 0 {
			continue
		}
		if err := v.checkMemArg(st, pc, regno, r, uint64(sz), suf == "__uninit", nullable); err != nil {
			return 0, false, err
		}
		if suf == "__uninit" {
			uninit = append(uninit, uninitMem{*r, uint64(sz)})
		}
	}
	if k.Flags&bpfvm.KfRelease != 0 {
		if releaseReg == nil || releaseReg.refID == 0 {
			rn := releaseRegno
			if rn == 0 {
				rn = 1
			}
			return 0, false, v.errorState(st, pc, "release kernel function %s expects refcounted PTR_TO_BTF_ID (R%d is not referenced)", k.Name, rn)
		}
		if err := v.releaseRef(st, pc, releaseReg.refID); err != nil {
			return 0, false, err
		}
	}
	for _, m := range uninit {
		v.markMemWritten(st, m.reg, m.size)
	}
	clobberCallerSaved(f)
	if err := v.kfuncReturn(st, pc, k, fproto, &f.regs[0]); err != nil {
		return 0, false, err
	}
	return pc + 1, false, nil
}

// kfuncProto is the kfunc's prototype: from the registry, or else from the
// function of that name in the kernel BTF.
func (v *verifier) kfuncProto(k *bpfvm.Kfunc) *btf.FuncProto {
	if k.Proto != nil {
		return k.Proto
	}
	if v.env.KernelBTF == nil {
		return nil
	}
	var fn *btf.Func
	if err := v.env.KernelBTF.TypeByName(k.Name, &fn); err != nil {
		return nil
	}
	fp, _ := fn.Type.(*btf.FuncProto)
	return fp
}

func (v *verifier) kfuncReturn(st *vstate, pc int, k *bpfvm.Kfunc, fproto *btf.FuncProto, r0 *regState) error {
	rt := fproto.Return
	u := btf.UnderlyingType(rt)
	switch t := u.(type) {
	case nil, *btf.Void:
		if k.Flags&bpfvm.KfAcquire != 0 {
			return v.errorState(st, pc, "acquire kernel function %s does not return a pointer", k.Name)
		}
		return nil
	case *btf.Int:
		if t.Encoding == btf.Bool {
			*r0 = makeScalar(rangeBounds(0, 1))
		} else if t.Encoding&btf.Signed == 0 && t.Size < 8 {
			*r0 = makeScalar(rangeBounds(0, uint64(1)<<(8*t.Size)-1))
		} else {
			*r0 = unknownScalar()
		}
	case *btf.Enum:
		*r0 = unknownScalar()
	case *btf.Pointer:
		target := btf.UnderlyingType(t.Target)
		switch tt := target.(type) {
		case *btf.Struct:
			*r0 = makePtr(ptrToBTFID)
			r0.btfIdx = v.typeID(tt)
			r0.flags = flagTrusted
			if k.Flags&bpfvm.KfRCU != 0 && k.Flags&bpfvm.KfAcquire == 0 {
				r0.flags = flagRCU
			}
		case *btf.Int, *btf.Enum:
			sz, _ := btf.Sizeof(tt)
			*r0 = makePtr(ptrToMem)
			r0.memSize = uint32(max(sz, 0))
		default:
			*r0 = unknownScalar()
		}
		if r0.isPtr() && k.Flags&bpfvm.KfRetNull != 0 {
			r0.flags |= flagMaybeNull
			if k.Flags&bpfvm.KfAcquire == 0 {
				r0.id = v.newID()
			}
		}
	default:
		*r0 = unknownScalar()
	}
	if k.Flags&bpfvm.KfAcquire != 0 {
		if !r0.isPtr() {
			return v.errorState(st, pc, "acquire kernel function %s does not return a pointer", k.Name)
		}
		r0.refID = v.acquireRef(st, pc)
		if r0.mayBeNull() || r0.id == 0 {
			r0.id = r0.refID
		}
	}
	return nil
}

// structIDsMatch is btf_struct_ids_match at offset 0 (btf.c 6.12): the
// object is of the expected struct, or, unless strict, begins with one
// (its first member, recursively): a struct bpf_cpumask * is a const
// struct cpumask * (scx's cast_mask()).
func structIDsMatch(t btf.Type, want string, strict bool) bool {
	for depth := 0; t != nil && depth < 8; depth++ {
		if t.TypeName() == want {
			return true
		}
		if strict {
			return false
		}
		s, ok := btf.UnderlyingType(t).(*btf.Struct)
		if !ok || len(s.Members) == 0 || s.Members[0].Offset != 0 {
			return false
		}
		t = s.Members[0].Type
		for {
			// cpumask_t is a typedef of struct cpumask
			td, ok := t.(*btf.Typedef)
			if !ok {
				break
			}
			if td.Name == want {
				return true
			}
			t = td.Type
		}
	}
	return false
}
