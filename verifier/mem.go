package verifier

import (
	"fmt"
	"math"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// Memory access checks (check_mem_access and friends, kernel/bpf/verifier.c,
// Linux 6.12).

func sizeOf(op uint8) int {
	switch op & 0x18 {
	case bpfvm.SizeB:
		return 1
	case bpfvm.SizeH:
		return 2
	case bpfvm.SizeW:
		return 4
	}
	return 8
}

// sizedUnknown is an unknown value loaded with size bytes (zero-extended).
func sizedUnknown(size int) regState {
	if size >= 8 {
		return unknownScalar()
	}
	return makeScalar(rangeBounds(0, uint64(1)<<(8*size)-1))
}

// signExtendLoad turns a zero-extended loaded value into its sign-extended
// form (LDX MEMSX).
func signExtendLoad(r regState, size int) regState {
	if r.typ != scalarValue {
		return r
	}
	bitsN := uint(size * 8)
	if r.isConst() {
		v := r.varOff.value
		sh := 64 - bitsN
		return constScalar(uint64(int64(v<<sh) >> sh))
	}
	lo, hi := -(int64(1) << (bitsN - 1)), int64(1)<<(bitsN-1)-1
	if r.umax <= uint64(hi) {
		return r
	}
	b := unknownBounds()
	b.smin, b.smax = lo, hi
	b.sync()
	return makeScalar(b)
}

func (v *verifier) checkLoad(st *vstate, pc int, in bpfvm.Insn) error {
	src, err := v.readReg(st, pc, in.Src)
	if err != nil {
		return err
	}
	if err := v.writeReg(st, pc, in.Dst); err != nil {
		return err
	}
	size := sizeOf(in.Op)
	if src.isPtr() {
		if err := v.savePtrType(st, pc, auxPtrType(src)); err != nil {
			return err
		}
	}
	val, err := v.access(st, pc, in.Src, *src, int(in.Off), size, false, nil)
	if err != nil {
		return err
	}
	if in.Op&0xe0 == bpfvm.ModeMEMSX {
		val = signExtendLoad(val, size)
	}
	st.cur().regs[in.Dst] = val
	return nil
}

func (v *verifier) checkStore(st *vstate, pc int, in bpfvm.Insn) error {
	dst, err := v.readReg(st, pc, in.Dst)
	if err != nil {
		return err
	}
	size := sizeOf(in.Op)
	var val regState
	valReg := -1
	if in.Class() == bpfvm.ClassSTX {
		s, err := v.readReg(st, pc, in.Src)
		if err != nil {
			return err
		}
		val = *s
		valReg = int(in.Src)
	} else {
		val = constScalar(uint64(int64(in.Imm)))
	}
	if dst.isPtr() {
		if err := v.savePtrType(st, pc, auxPtrType(dst)); err != nil {
			return err
		}
	}
	_, err = v.access(st, pc, in.Dst, *dst, int(in.Off), size, true, &storeVal{reg: val, regno: valReg})
	return err
}

type storeVal struct {
	reg   regState
	regno int // -1 for an immediate
}

func (v *verifier) checkAtomic(st *vstate, pc int, in bpfvm.Insn) error {
	dst, err := v.readReg(st, pc, in.Dst)
	if err != nil {
		return err
	}
	src, err := v.readReg(st, pc, in.Src)
	if err != nil {
		return err
	}
	if src.isPtr() && v.env.Unprivileged {
		return v.errorState(st, pc, "R%d leaks addr into mem", in.Src)
	}
	if in.Imm == bpfvm.AtomicCMPXCHG {
		r0, err := v.readReg(st, pc, 0)
		if err != nil {
			return err
		}
		if r0.isPtr() && v.env.Unprivileged {
			return v.errorState(st, pc, "R0 leaks addr into mem")
		}
	}
	switch dst.typ {
	case ptrToCtx, ptrToBTFID, ptrToMem:
		if dst.flags&flagAlloc == 0 {
			return v.errorState(st, pc, "BPF_ATOMIC stores into R%d %s is not allowed", in.Dst, v.typeName(dst))
		}
	}
	size := sizeOf(in.Op)
	if err := v.strictAlignment(st, pc, dst, int(in.Off), size); err != nil {
		return err
	}
	d := *dst
	loaded, err := v.access(st, pc, in.Dst, d, int(in.Off), size, false, nil)
	if err != nil {
		return err
	}
	if _, err := v.access(st, pc, in.Dst, d, int(in.Off), size, true, &storeVal{reg: unknownScalar(), regno: int(in.Src)}); err != nil {
		return err
	}
	_ = loaded
	if in.Imm == bpfvm.AtomicCMPXCHG {
		st.cur().regs[0] = sizedUnknown(size)
	} else if in.Imm&bpfvm.AtomicFETCH != 0 {
		if in.Src == 10 {
			return v.errorState(st, pc, "frame pointer is read only")
		}
		st.cur().regs[in.Src] = sizedUnknown(size)
	}
	return nil
}

// auxPtrType is the kind of pointer savePtrType records: allocated
// objects count as plain memory (a deviation: the kernel counts them as
// PTR_TO_BTF_ID; our runtime rewrites no access, and EEVDF returns a field
// of a tree node or of a map value from one load).
func auxPtrType(r *regState) regType {
	if r.typ == ptrToBTFID && r.flags&flagAlloc != 0 {
		return ptrToMem
	}
	return r.typ
}

// savePtrType is save_aux_ptr_type (verifier.c 6.12): the kernel rewrites
// context and kernel-object accesses per instruction, so one load or store
// may not go through such a pointer on one path and another kind on
// another.
func (v *verifier) savePtrType(st *vstate, pc int, t regType) error {
	prev := v.info[pc].ptrType
	if prev == 0 {
		v.info[pc].ptrType = t
		return nil
	}
	special := func(t regType) bool { return t == ptrToCtx || t == ptrToBTFID || t == ptrToArena }
	if prev != t && (special(prev) || special(t)) {
		return v.errorState(st, pc, "same insn cannot be used with different pointers")
	}
	return nil
}

// strictAlignment is check_generic_ptr_alignment with strict alignment
// (atomics always; verifier.c 6.12): reg+off must be a multiple of size.
func (v *verifier) strictAlignment(st *vstate, pc int, reg *regState, off, size int) error {
	if size == 1 || reg.typ == ptrToArena {
		return nil
	}
	t := tnumAdd(reg.varOff, tnumConst(uint64(int64(reg.off)+int64(off))))
	if t.value&uint64(size-1) == 0 && t.mask&uint64(size-1) == 0 {
		return nil
	}
	desc := ""
	switch reg.typ {
	case ptrToMapValue:
		desc = "value "
	case ptrToCtx:
		desc = "context "
	case ptrToStack:
		desc = "stack "
	}
	return v.errorState(st, pc, "misaligned %saccess off %s+%d+%d size %d", desc, reg.varOff, reg.off, off, size)
}

// access checks a load (write=false) or store of size bytes at reg+off and
// returns the loaded value.
func (v *verifier) access(st *vstate, pc int, regno uint8, reg regState, off, size int, write bool, val *storeVal) (regState, error) {
	if reg.typ == scalarValue || reg.typ == notInit {
		return regState{}, v.errorState(st, pc, "R%d invalid mem access '%s'", regno, v.typeName(&reg))
	}
	if reg.mayBeNull() {
		return regState{}, v.errorState(st, pc, "R%d invalid mem access '%s'", regno, v.typeName(&reg))
	}
	if write && val != nil && val.reg.isPtr() && reg.typ != ptrToStack && v.env.Unprivileged {
		what := "mem"
		if reg.typ == ptrToMapValue {
			what = "map"
		}
		return regState{}, v.errorState(st, pc, "R%d leaks addr into %s", val.regno, what)
	}
	switch reg.typ {
	case ptrToArena:
		// any access; a load is an unknown number (check_mem_access)
		return sizedUnknown(size), nil
	case ptrToStack:
		return v.stackAccess(st, pc, regno, reg, off, size, write, val)
	case ptrToMapValue:
		return v.mapValueAccess(st, pc, regno, reg, off, size, write, val)
	case ptrToCtx:
		return v.ctxAccess(st, pc, regno, reg, off, size, write)
	case ptrToBTFID:
		return v.btfAccess(st, pc, regno, reg, off, size, write, val)
	case ptrToMem:
		if write && reg.flags&flagRdonly != 0 {
			return regState{}, v.errorState(st, pc, "cannot write into %s", v.typeName(&reg))
		}
		if err := v.regionAccess(st, pc, regno, reg, off, size, int64(reg.memSize), "mem"); err != nil {
			return regState{}, err
		}
		return sizedUnknown(size), nil
	}
	return regState{}, v.errorState(st, pc, "R%d invalid mem access '%s'", regno, v.typeName(&reg))
}

// regionAccess checks [reg+off, reg+off+size) against [0, limit)
// (check_mem_region_access).
func (v *verifier) regionAccess(st *vstate, pc int, regno uint8, reg regState, off, size int, limit int64, what string) error {
	// check_mem_region_access (verifier.c 6.12): the lowest and the highest
	// address the access may touch, each reported as __check_mem_access
	// does, then which bound failed
	base := int64(reg.off) + int64(off)
	smin, umax := reg.smin, int64(reg.umax)
	if reg.isConst() {
		smin, umax = int64(reg.varOff.value), int64(reg.varOff.value)
	}
	desc := func(o int64) string {
		if what == "map value" {
			return fmt.Sprintf("invalid access to map value, value_size=%d off=%d size=%d", limit, o, size)
		}
		return fmt.Sprintf("invalid access to memory, mem_size=%d off=%d size=%d", limit, o, size)
	}
	if smin < 0 && (smin == math.MinInt64 || base+smin != int64(int32(base+smin)) || base+smin < 0) {
		return v.errorState(st, pc, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.", regno)
	}
	if lo := base + smin; lo < 0 || lo+int64(size) > limit {
		return v.errorState(st, pc, "%s\nR%d min value is outside of the allowed memory range", desc(lo), regno)
	}
	if !reg.isConst() && reg.umax >= maxVarOff {
		return v.errorState(st, pc, "R%d unbounded memory access, make sure to bounds check any such access", regno)
	}
	if hi := base + umax; hi+int64(size) > limit {
		return v.errorState(st, pc, "%s\nR%d max value is outside of the allowed memory range", desc(hi), regno)
	}
	return nil
}

// Map flags that restrict the program's access (include/uapi/linux/bpf.h).
const (
	mapFlagRdonlyProg = 1 << 7 // BPF_F_RDONLY_PROG
	mapFlagWronlyProg = 1 << 8 // BPF_F_WRONLY_PROG
)

func mapCanWrite(ms *bpfvm.MapSpec) bool { return !ms.ReadOnly && ms.Flags&mapFlagRdonlyProg == 0 }
func mapCanRead(ms *bpfvm.MapSpec) bool  { return ms.Flags&mapFlagWronlyProg == 0 }

// mapAccessType is check_map_access_type (verifier.c 6.12): read-only
// maps (frozen .rodata, BPF_F_RDONLY_PROG) take no stores, write-only ones
// (BPF_F_WRONLY_PROG) no loads.
func (v *verifier) mapAccessType(st *vstate, pc int, ms *bpfvm.MapSpec, off, size int64, write bool) error {
	if write && !mapCanWrite(ms) {
		return v.errorState(st, pc, "write into map forbidden, value_size=%d off=%d size=%d", ms.ValueSize, off, size)
	}
	if !write && !mapCanRead(ms) {
		return v.errorState(st, pc, "read from map forbidden, value_size=%d off=%d size=%d", ms.ValueSize, off, size)
	}
	return nil
}

func (v *verifier) mapValueAccess(st *vstate, pc int, regno uint8, reg regState, off, size int, write bool, val *storeVal) (regState, error) {
	ms := v.mapSpec(int(reg.mapIdx))
	if ms == nil {
		return regState{}, v.errorState(st, pc, "R%d invalid map", regno)
	}
	if err := v.mapAccessType(st, pc, ms, int64(reg.off)+int64(off), int64(size), write); err != nil {
		return regState{}, err
	}
	if err := v.regionAccess(st, pc, regno, reg, off, size, int64(ms.ValueSize), "map value"); err != nil {
		return regState{}, err
	}
	// special fields may not be touched directly
	lo := int64(reg.off) + int64(off) + reg.smin
	hi := int64(reg.off) + int64(off) + int64(reg.umax) + int64(size)
	if reg.isConst() {
		lo = int64(reg.off) + int64(off) + int64(reg.varOff.value)
		hi = lo + int64(size)
	}
	if r, ok, err := v.fieldAccess(st, pc, v.specialFields(ms.Value), lo, hi, reg.isConst(), size, write, val); ok || err != nil {
		return r, err
	}
	if !write && ms.ReadOnly && reg.isConst() && v.env.ReadOnlyValue != nil {
		// bpf_map_direct_read: a frozen read-only map's bytes are constants
		switch size {
		case 1, 2, 4, 8:
			if x, ok := v.env.ReadOnlyValue(int(reg.mapIdx), uint32(lo), uint32(size)); ok {
				if size < 8 {
					x &= uint64(1)<<(8*size) - 1
				}
				return constScalar(x), nil
			}
		}
	}
	return sizedUnknown(size), nil
}

// fieldAccess checks an access of [lo, hi) against the special fields of
// a map value or allocated object: locks, timers, graph roots and nodes
// are off limits; a kptr field may be loaded (8 bytes at its offset),
// giving a maybe-NULL pointer to its type (check_map_kptr_access). ok
// tells that the access was a kptr load or store, whose result is r.
func (v *verifier) fieldAccess(st *vstate, pc int, fields []specialField, lo, hi int64, isConst bool, size int, write bool, val *storeVal) (r regState, ok bool, err error) {
	for _, sf := range fields {
		if lo >= int64(sf.off+sf.size) || hi <= int64(sf.off) {
			continue
		}
		if !isKptr(sf.kind) {
			return regState{}, false, v.errorState(st, pc, "%s cannot be accessed directly by load/store", sf.kind)
		}
		if !isConst {
			return regState{}, false, v.errorState(st, pc, "kptr access cannot have variable offset")
		}
		if size != 8 {
			return regState{}, false, v.errorState(st, pc, "kptr access size must be BPF_DW")
		}
		if lo != int64(sf.off) {
			return regState{}, false, v.errorState(st, pc, "kptr access misaligned expected=%d off=%d", sf.off, lo)
		}
		if write {
			if sf.kind == "kptr" {
				return regState{}, false, v.errorState(st, pc, "store to referenced kptr disallowed")
			}
			if val == nil || !val.reg.isNullConst() {
				return regState{}, false, v.errorState(st, pc, "only NULL may be stored into a %s field (use bpf_kptr_xchg)", sf.kind)
			}
			v.markPrecise(st, val.regno)
			return regState{}, true, nil
		}
		return v.kptrLoad(st, sf), true, nil
	}
	return regState{}, false, nil
}

// rcuProtected lists the kernel types whose kptrs load as RCU pointers
// (the kernel's rcu_protected_types).
var rcuProtected = map[string]bool{"task_struct": true, "bpf_cpumask": true, "cgroup": true}

// kptrLoad is the value of a kptr field (btf_ld_kptr_type): in a
// non-sleepable program, a referenced kptr to an RCU-protected kernel
// type or to a refcounted object of the program is an RCU pointer (an
// object's is also a non-owning reference when it has graph nodes);
// otherwise an untrusted pointer. Either may be NULL.
func (v *verifier) kptrLoad(st *vstate, sf specialField) regState {
	r := makePtr(ptrToBTFID)
	r.id = v.newID()
	// RCU-protected: in a non-sleepable program (one RCU section), or
	// inside bpf_rcu_read_lock() (check_map_kptr_access, in_rcu_cs)
	rcu := sf.kind == "kptr" && (!v.sleepable() || st.rcuLock)
	if kt := v.kernelStruct(sf.target.Name); kt != nil {
		r.btfIdx = v.typeID(kt)
		r.flags = flagUntrusted | flagMaybeNull
		if rcu && rcuProtected[sf.target.Name] {
			r.flags = flagRCU | flagMaybeNull
		}
		return r
	}
	r.btfIdx = v.typeID(sf.target)
	r.flags = flagUntrusted | flagMaybeNull
	if rcu && hasField(v.specialFields(sf.target), "bpf_refcount") {
		r.flags = flagAlloc | flagRCU | flagMaybeNull
		if hasField(v.specialFields(sf.target), "bpf_rb_node") || hasField(v.specialFields(sf.target), "bpf_list_node") {
			r.flags |= flagNonOwn
		}
	}
	return r
}

func hasField(fields []specialField, kind string) bool {
	for _, f := range fields {
		if f.kind == kind {
			return true
		}
	}
	return false
}

// ---- context (struct_ops argument array) ----

func (v *verifier) ctxAccess(st *vstate, pc int, regno uint8, reg regState, off, size int, write bool) (regState, error) {
	if v.env.CtxNotModelled {
		return regState{}, v.notModelled(st, pc, "program type %s is not modelled: R%d reads or writes its context", v.progType(), regno)
	}
	if v.env.CtxBuffer > 0 {
		// a syscall program's context: the caller's buffer
		if !reg.isConst() {
			return regState{}, v.errorState(st, pc, "variable ctx access var_off=%s disallowed", reg.varOff)
		}
		o := int64(reg.off) + int64(off) + int64(reg.varOff.value)
		if o < 0 || o+int64(size) > int64(v.env.CtxBuffer) || o%int64(size) != 0 {
			return regState{}, v.errorState(st, pc, "invalid bpf_context access off=%d size=%d", o, size)
		}
		return sizedUnknown(size), nil
	}
	if !reg.isConst() {
		return regState{}, v.errorState(st, pc, "variable ctx access var_off=%s disallowed", reg.varOff)
	}
	o := int64(reg.off) + int64(off) + int64(reg.varOff.value)
	if reg.off != 0 || reg.varOff.value != 0 {
		return regState{}, v.errorState(st, pc, "dereference of modified ctx ptr R%d off=%d disallowed", regno, int64(reg.off)+int64(reg.varOff.value))
	}
	if write {
		return regState{}, v.errorState(st, pc, "invalid bpf_context access off=%d size=%d", o, size)
	}
	name := v.prog.Name
	if o < 0 || o%8 != 0 {
		return regState{}, v.errorState(st, pc, "func '%s' offset %d is not multiple of 8", name, o)
	}
	i := int(o / 8)
	if i >= len(v.env.Args) {
		return regState{}, v.errorState(st, pc, "func '%s' doesn't have %d-th argument", name, i)
	}
	a := v.env.Args[i]
	if s := structOfPtr(a.Type); s != nil {
		if size != 8 {
			return regState{}, v.errorState(st, pc, "invalid bpf_context access off=%d size=%d", o, size)
		}
		r := makePtr(ptrToBTFID)
		r.btfIdx = v.typeID(s)
		r.flags = flagTrusted
		if a.Nullable {
			r.flags |= flagMaybeNull
			r.id = v.newID()
		}
		return r, nil
	}
	if a.Type != nil {
		if _, isPtr := btf.UnderlyingType(a.Type).(*btf.Pointer); isPtr {
			if size != 8 {
				return regState{}, v.errorState(st, pc, "invalid bpf_context access off=%d size=%d", o, size)
			}
			return unknownScalar(), nil
		}
	}
	return sizedUnknown(size), nil
}

// structOfPtr returns the struct a pointer type points to.
func structOfPtr(t btf.Type) *btf.Struct {
	if t == nil {
		return nil
	}
	p, ok := btf.UnderlyingType(t).(*btf.Pointer)
	if !ok {
		return nil
	}
	s, _ := btf.UnderlyingType(p.Target).(*btf.Struct)
	return s
}

// ---- BTF-typed objects ----

func (v *verifier) btfAccess(st *vstate, pc int, regno uint8, reg regState, off, size int, write bool, val *storeVal) (regState, error) {
	s, _ := btf.UnderlyingType(v.btfT(reg.btfIdx)).(*btf.Struct)
	tname := "ptr_"
	if t := v.btfT(reg.btfIdx); t != nil {
		tname += t.TypeName()
	}
	if s == nil {
		return regState{}, v.errorState(st, pc, "R%d is %s invalid type", regno, tname)
	}
	if !reg.isConst() {
		return regState{}, v.errorState(st, pc, "R%d is %s invalid variable offset: off=%d, var_off=%s", regno, tname, int64(reg.off)+int64(off), reg.varOff)
	}
	o := int64(reg.off) + int64(off) + int64(reg.varOff.value)
	if o < 0 {
		return regState{}, v.errorState(st, pc, "R%d is %s invalid negative access: off=%d", regno, tname, o)
	}
	if o+int64(size) > int64(s.Size) {
		return regState{}, v.errorState(st, pc, "access beyond struct %s at off %d size %d", s.Name, o, size)
	}
	if reg.flags&flagAlloc != 0 {
		if r, ok, err := v.fieldAccess(st, pc, v.specialFields(s), o, o+int64(size), true, size, write, val); ok || err != nil {
			return r, err
		}
		return sizedUnknown(size), nil
	}
	if write {
		if reg.flags&flagUntrusted == 0 && v.env.WritableField != nil && v.env.WritableField(s, uint32(o), uint32(size)) {
			return regState{}, nil
		}
		return regState{}, v.errorState(st, pc, "only read is supported: write to struct %s off=%d size=%d is not allowed", s.Name, o, size)
	}
	mt, moff, ok := memberAt(s, uint32(o))
	if ok && moff == uint32(o) && size == 8 {
		if ps := structOfPtr(mt); ps != nil {
			r := makePtr(ptrToBTFID)
			r.btfIdx = v.typeID(ps)
			r.flags = flagUntrusted
			switch {
			case reg.flags&flagTrusted != 0 && v.trustedField(s, uint32(o)):
				r.flags = flagTrusted
			case v.isTrustedOrRCU(&reg) && !reg.mayBeNull() && (!v.sleepable() || st.rcuLock) && rcuField(s, uint32(o)) != 0:
				// BTF_TYPE_SAFE_RCU(_OR_NULL): MEM_RCU (maybe NULL)
				r.flags = flagRCU
				if rcuField(s, uint32(o)) == rcuOrNull {
					r.flags |= flagMaybeNull
					r.id = v.newID()
				}
			case v.isTrustedOrRCU(&reg) && !reg.mayBeNull() && (!v.sleepable() || st.rcuLock):
				// check_ptr_to_btf_access: walking a trusted or RCU
				// pointer in an RCU section to a field no list names
				// gives a bare PTR_TO_BTF_ID (clear_trusted_flags)
				r.flags = flagUntrusted | flagLegacy
			}
			return r, nil
		}
	}
	return sizedUnknown(size), nil
}

const (
	rcuSafe   = 1
	rcuOrNull = 2
)

// rcuFields are Linux 6.12's BTF_TYPE_SAFE_RCU lists (verifier.c): read
// through a trusted or RCU pointer inside an RCU section, these pointer
// fields are MEM_RCU (rcuSafe), or MEM_RCU | PTR_MAYBE_NULL (rcuOrNull,
// BTF_TYPE_SAFE_RCU_OR_NULL). task_struct.cpus_ptr is trusted here
// (trustedField).
var rcuFields = map[string]map[string]int{
	"task_struct":  {"cgroups": rcuSafe, "real_parent": rcuSafe, "group_leader": rcuSafe},
	"cgroup":       {"kn": rcuSafe},
	"css_set":      {"dfl_cgrp": rcuSafe},
	"mm_struct":    {"exe_file": rcuOrNull},
	"sk_buff":      {"sk": rcuOrNull},
	"request_sock": {"sk": rcuOrNull},
}

// rcuField says whether the pointer field at off of s is in rcuFields.
func rcuField(s *btf.Struct, off uint32) int {
	fields := rcuFields[s.Name]
	if fields == nil {
		return 0
	}
	for _, m := range s.Members {
		if k := fields[m.Name]; k != 0 && m.Offset.Bytes() == off {
			return k
		}
	}
	return 0
}

// isTrustedOrRCU is is_trusted_reg || is_rcu_reg for a PTR_TO_BTF_ID.
func (v *verifier) isTrustedOrRCU(r *regState) bool {
	if r.flags&flagUntrusted != 0 {
		return false
	}
	return r.refID != 0 || r.flags&(flagTrusted|flagRCU) != 0
}

func (v *verifier) trustedField(s *btf.Struct, off uint32) bool {
	if v.env.TrustedField != nil {
		return v.env.TrustedField(s, off)
	}
	if s.Name != "task_struct" {
		return false
	}
	for _, m := range s.Members {
		if m.Name == "cpus_ptr" && m.Offset.Bytes() == off {
			return true
		}
	}
	return false
}

// memberAt finds the innermost member whose storage starts at or covers
// off, descending into nested structs, unions and arrays.
func memberAt(t btf.Type, off uint32) (btf.Type, uint32, bool) {
	base := uint32(0)
	for depth := 0; depth < 32; depth++ {
		switch u := btf.UnderlyingType(t).(type) {
		case *btf.Struct:
			m, ok := findMember(u.Members, off-base)
			if !ok {
				return nil, 0, false
			}
			base += m.Offset.Bytes()
			t = m.Type
		case *btf.Union:
			m, ok := findMember(u.Members, off-base)
			if !ok {
				return nil, 0, false
			}
			base += m.Offset.Bytes()
			t = m.Type
		case *btf.Array:
			es, err := btf.Sizeof(u.Type)
			if err != nil || es <= 0 {
				return nil, 0, false
			}
			base += (off - base) / uint32(es) * uint32(es)
			t = u.Type
		default:
			return t, base, true
		}
		if base == off {
			if _, isAgg := btf.UnderlyingType(t).(*btf.Pointer); isAgg {
				return t, base, true
			}
		}
	}
	return nil, 0, false
}

func findMember(ms []btf.Member, off uint32) (btf.Member, bool) {
	for _, m := range ms {
		if m.BitfieldSize != 0 {
			continue
		}
		sz, err := btf.Sizeof(m.Type)
		if err != nil {
			continue
		}
		s := m.Offset.Bytes()
		if off >= s && off < s+uint32(sz) {
			return m, true
		}
	}
	return btf.Member{}, false
}

// specialField is a field of a map value or allocated object that programs
// may only use through helpers and kfuncs (struct btf_record).
type specialField struct {
	kind      string // "bpf_spin_lock", "bpf_rb_root", ..., or "kptr", "kptr_untrusted", "percpu_kptr"
	off, size uint32
	contains  string // for roots and heads: "contains:type:field" tag value
	// target is the struct a kptr points to.
	target *btf.Struct
	// scope is the innermost struct (or data section) holding the field,
	// at offset scopeOff: a tree root is guarded by the lock beside it.
	scope    btf.Type
	scopeOff uint32
}

var specialNames = map[string]bool{
	"bpf_spin_lock": true, "bpf_res_spin_lock": true, "bpf_timer": true, "bpf_rb_root": true,
	"bpf_rb_node": true, "bpf_list_head": true, "bpf_list_node": true, "bpf_refcount": true,
	"bpf_wq": true,
}

var kptrTags = map[string]bool{"kptr": true, "kptr_untrusted": true, "percpu_kptr": true}

func isKptr(kind string) bool { return kptrTags[kind] }

// kptrTarget returns the tag and pointee of a kptr field type: a pointer
// to a struct through a btf_type_tag("kptr") (or kptr_untrusted,
// percpu_kptr), as __kptr declares.
func kptrTarget(p *btf.Pointer) (string, *btf.Struct) {
	t := p.Target
	tag := ""
	for depth := 0; depth < 8 && t != nil; depth++ {
		switch u := t.(type) {
		case *btf.TypeTag:
			if kptrTags[u.Value] {
				tag = u.Value
			}
			t = u.Type
		case *btf.Const:
			t = u.Type
		case *btf.Volatile:
			t = u.Type
		case *btf.Restrict:
			t = u.Type
		case *btf.Typedef:
			t = u.Type
		case *btf.Struct:
			if tag == "" {
				return "", nil
			}
			return tag, u
		default:
			return "", nil
		}
	}
	return "", nil
}

// specialFields lists the special fields of t, recursively through nested
// structs and arrays. Results are memoised per type.
func (v *verifier) specialFields(t btf.Type) []specialField {
	if t == nil {
		return nil
	}
	if f, ok := v.fields[t]; ok {
		return f
	}
	f := specialFields(t)
	if v.fields == nil {
		v.fields = make(map[btf.Type][]specialField)
	}
	v.fields[t] = f
	return f
}

func specialFields(t btf.Type) []specialField {
	var out []specialField
	var walk func(t btf.Type, base uint32, tags []string, depth int, scope btf.Type, scopeOff uint32)
	walk = func(t btf.Type, base uint32, tags []string, depth int, scope btf.Type, scopeOff uint32) {
		if t == nil || depth > 8 || len(out) > 64 {
			return
		}
		switch u := btf.UnderlyingType(t).(type) {
		case *btf.Struct:
			if specialNames[u.Name] {
				sf := specialField{kind: u.Name, off: base, size: u.Size, scope: scope, scopeOff: scopeOff}
				for _, tg := range tags {
					if len(tg) > 9 && tg[:9] == "contains:" {
						sf.contains = tg
					}
				}
				out = append(out, sf)
				return
			}
			for _, m := range u.Members {
				walk(m.Type, base+m.Offset.Bytes(), m.Tags, depth+1, u, base)
			}
		case *btf.Datasec:
			for _, vs := range u.Vars {
				if vr, ok := vs.Type.(*btf.Var); ok {
					walk(vr.Type, base+vs.Offset, vr.Tags, depth+1, u, base)
				}
			}
		case *btf.Pointer:
			if tag, target := kptrTarget(u); target != nil {
				out = append(out, specialField{kind: tag, off: base, size: 8, target: target, scope: scope, scopeOff: scopeOff})
			}
		case *btf.Array:
			es, err := btf.Sizeof(u.Type)
			if err != nil || es <= 0 || u.Nelems > 1024 {
				return
			}
			for i := uint32(0); i < u.Nelems; i++ {
				n := len(out)
				walk(u.Type, base+i*uint32(es), tags, depth+1, scope, scopeOff)
				if len(out) == n {
					return
				}
			}
		}
	}
	walk(t, 0, nil, 0, nil, 0)
	return out
}

// ---- stack ----

func (v *verifier) frameOf(st *vstate, reg *regState) *funcState {
	if int(reg.frameNo) < len(st.frames) {
		return st.frames[reg.frameNo]
	}
	return st.cur()
}

func (v *verifier) noteStackDepth(st *vstate, pc int, reg *regState, depth int) {
	f := v.frameOf(st, reg)
	v.fastcallContract(f.subprog, pc, -depth)
	if f.subprog >= 0 && f.subprog < len(v.subprogs) && depth > v.subprogs[f.subprog].stackDepth {
		v.subprogs[f.subprog].stackDepth = depth
	}
}

func (v *verifier) stackAccess(st *vstate, pc int, regno uint8, reg regState, off, size int, write bool, val *storeVal) (regState, error) {
	extra := " read from"
	if write {
		extra = " write to"
	}
	// stack accesses are always strictly aligned, checked before the
	// bounds (check_mem_access: check_ptr_alignment first)
	if err := v.strictAlignment(st, pc, &reg, off, size); err != nil {
		return regState{}, err
	}
	f := v.frameOf(st, &reg)
	if write {
		f.ownStack()
	}
	if !reg.isConst() {
		lo := int64(reg.off) + int64(off) + reg.smin
		hi := int64(reg.off) + int64(off) + reg.smax
		if reg.smin == math.MinInt64 || reg.smax == math.MaxInt64 || lo < -bpfvm.StackSize || hi+int64(size) > 0 {
			return regState{}, v.errorState(st, pc, "invalid variable-offset%s stack R%d var_off=%s off=%d size=%d", extra, regno, reg.varOff, int64(reg.off)+int64(off), size)
		}
		v.noteStackDepth(st, pc, &reg, int(-lo))
		f.growStack(int(-lo))
		if !write {
			v.stackRead(st, &reg, lo, hi+int64(size))
		}
		for a := lo; a < hi+int64(size); a++ {
			sl, b := stackByte(f, a)
			if sl.types[b] == slotIter {
				return regState{}, v.errorState(st, pc, "invalid%s stack R%d: it holds an iterator", extra, regno)
			}
			if write {
				if sl.isSpill() {
					scrubSpill(sl)
				}
				if sl.types[b] != slotInvalid {
					sl.types[b] = slotMisc
				}
			} else if sl.types[b] == slotInvalid && v.env.Unprivileged {
				return regState{}, v.errorState(st, pc, "invalid read from stack R%d var_off %s+%d size %d", regno, reg.varOff, int64(reg.off)+int64(off), size)
			}
		}
		return sizedUnknown(size), nil
	}
	o := int64(reg.off) + int64(off) + int64(reg.varOff.value)
	if o < -bpfvm.StackSize || o+int64(size) > 0 {
		return regState{}, v.errorState(st, pc, "invalid%s stack R%d off=%d size=%d", extra, regno, o, size)
	}
	if o%int64(size) != 0 {
		return regState{}, v.errorState(st, pc, "misaligned stack access off %s+%d+%d size %d", reg.varOff, reg.off, off, size)
	}
	v.noteStackDepth(st, pc, &reg, int(-o))
	f.growStack(int(-o))
	slot := &f.stack[(-o-1)/8]
	first := int((o%8 + 8) % 8)
	fr := len(st.frames) - 1
	if int(reg.frameNo) < len(st.frames) {
		fr = int(reg.frameNo)
	}
	st.noteStackAccess(fr, (-o-1)/8, write && size == 8)
	if write {
		if size == 8 {
			v.stackWritten(st, &reg, o)
		}
		return regState{}, v.stackWrite(st, pc, f, slot, first, size, val)
	}
	v.stackRead(st, &reg, o, o+int64(size))
	for i := 0; i < size; i++ {
		if slot.types[first+i] == slotIter || slot.types[first+i] == slotInvalid && v.env.Unprivileged {
			return regState{}, v.errorState(st, pc, "invalid read from stack off %d+%d size %d", o, i, size)
		}
	}
	if slot.isSpill() {
		ssz := slot.spillSize()
		if size == 8 && ssz == 8 {
			r := slot.spill
			if r.typ == scalarValue && r.id == 0 && !r.isConst() {
				// the filled register and the slot stay linked, as the
				// kernel's are by the id its spill gave them
				// (assign_scalar_id_before_mov): ours may have been
				// dropped at a checkpoint as singular (clearSingularIDs).
				// A bounds check of the fill then bounds the slot for the
				// next fill (scx_lavd's try_to_steal_task: nr_nbr
				// reloaded on each `continue` of its neighbour loop)
				r.id = v.newID()
				f.ownStack()
				f.stack[(-o-1)/8].spill.id = r.id
			}
			return r, nil
		}
		if slot.spill.typ != scalarValue {
			return regState{}, v.errorState(st, pc, "invalid size of register fill")
		}
		if first+size <= ssz && slot.spill.isConst() {
			c := slot.spill.varOff.value >> (8 * uint(first))
			if size < 8 {
				c &= uint64(1)<<(8*size) - 1
			}
			return constScalar(c), nil
		}
		if first == 0 && size <= ssz {
			// a fill of (the low part of) a spilled scalar
			return coerceScalar(slot.spill, size), nil
		}
		if first >= ssz {
			// bytes above a narrow spill
			zero := true
			for i := 0; i < size; i++ {
				zero = zero && slot.types[first+i] == slotZero
			}
			if zero {
				return constScalar(0), nil
			}
		}
		return sizedUnknown(size), nil
	}
	zero := true
	for i := 0; i < size; i++ {
		if slot.types[first+i] != slotZero {
			zero = false
		}
	}
	if zero {
		return constScalar(0), nil
	}
	return sizedUnknown(size), nil
}

func stackByte(f *funcState, a int64) (*stackSlot, int) {
	i := (-a - 1) / 8
	return &f.stack[i], int((a%8 + 8) % 8)
}

// scrubIter turns an iterator's slot, any byte of which is written, into
// plain bytes: the iterator is gone, its reference is not released.
func scrubIter(sl *stackSlot) {
	for b := range sl.types {
		sl.types[b] = slotMisc
	}
	sl.spill = regState{}
}

// scrubSpill turns a partially overwritten spill into plain bytes.
func scrubSpill(sl *stackSlot) {
	for b := range sl.types {
		if sl.types[b] == slotSpill {
			sl.types[b] = slotMisc
		}
	}
	sl.spill = regState{}
}

// coerceScalar is a scalar read with size bytes: the value itself when it
// fits, else its low size bytes, unlinked (coerce_reg_to_size: the known
// bits truncated, the unsigned range truncated when all of it has the same
// upper bytes, the 32-bit ranges kept for a 4-byte read).
func coerceScalar(r regState, size int) regState {
	if size >= 8 {
		return r
	}
	mask := uint64(1)<<(8*size) - 1
	if r.umax <= mask {
		return r
	}
	b := r.bounds
	b.varOff = tnumCast(b.varOff, uint8(size))
	if b.umin&^mask == b.umax&^mask {
		b.umin &= mask
		b.umax &= mask
	} else {
		b.umin, b.umax = 0, mask
	}
	b.smin, b.smax = int64(b.umin), int64(b.umax)
	if size < 4 {
		b.mark32Unbounded()
	}
	b.sync()
	return makeScalar(b)
}

func (v *verifier) stackWrite(st *vstate, pc int, f *funcState, slot *stackSlot, first, size int, val *storeVal) error {
	if slot.types[0] == slotIter {
		// the write destroys the iterator (scrub_special_slot); its
		// reference stays held and leaks unless the path fails first
		scrubIter(slot)
	}
	r := val.reg
	if val.regno >= 0 && r.typ == scalarValue && r.id == 0 && !r.isConst() &&
		(size == 8 || first == 0 && r.umax < uint64(1)<<(8*size)) {
		// link the register and its spill, so that a bounds check of a
		// later fill bounds the register too (assign_scalar_id_before_mov)
		r.id = v.newID()
		st.cur().regs[val.regno].id = r.id
	}
	if r.isPtr() {
		if size != 8 {
			return v.errorState(st, pc, "invalid size of register spill")
		}
		if r.typ == ptrToStack && int(r.frameNo) > int(f.frameNo) {
			return v.errorState(st, pc, "cannot spill pointers to stack into stack frame of the caller")
		}
	}
	if size == 8 {
		// a spill, of a register or an immediate (zero included: a spill
		// of a known 0 can be imprecise, plain zero bytes cannot)
		for b := range slot.types {
			slot.types[b] = slotSpill
		}
		slot.spill = r
		if r.typ == scalarValue && r.isConst() && r.varOff.value == 0 && val.regno < 0 {
			for b := range slot.types {
				slot.types[b] = slotZero
			}
			slot.spill = regState{}
		}
		return nil
	}
	zeroVal := r.typ == scalarValue && r.isConst() && r.varOff.value&(uint64(1)<<(8*size)-1) == 0
	if first == 0 && r.typ == scalarValue && !zeroVal {
		// a narrow spill at the start of a slot keeps the value (the
		// kernel's save_register_state with size < 8); the bytes above
		// keep what they were, spilled bytes becoming plain
		if slot.isSpill() {
			scrubSpill(slot)
		}
		for b := 0; b < 8; b++ {
			switch {
			case b < size:
				slot.types[b] = slotSpill
			case slot.types[b] == slotSpill:
				slot.types[b] = slotMisc
			}
		}
		slot.spill = r
		if val.regno >= 0 && r.id != 0 && r.umax >= uint64(1)<<(8*size) {
			slot.spill.id, slot.spill.off = 0, 0 // a narrowing spill breaks the link
		}
		return nil
	}
	if slot.isSpill() {
		sp := slot.spill
		ssz := slot.spillSize()
		scrubSpill(slot)
		if sp.typ == scalarValue && sp.isConst() {
			// keep exact knowledge of the bytes not overwritten
			for b := 0; b < ssz; b++ {
				if byte(sp.varOff.value>>(8*b)) == 0 {
					slot.types[b] = slotZero
				}
			}
		}
	}
	t := slotMisc
	if zeroVal {
		t = slotZero
	}
	for i := 0; i < size; i++ {
		slot.types[first+i] = t
	}
	return nil
}

func (v *verifier) describeField(sf specialField) string {
	return fmt.Sprintf("%s at off %d", sf.kind, sf.off)
}
