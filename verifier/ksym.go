package verifier

import (
	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// Typed kernel variables (extern const struct rq runqueues __ksym), as
// kernel/bpf/verifier.c (Linux 6.12) types them: check_pseudo_btf_id gives
// the LD_IMM64 of a per-CPU variable PTR_TO_BTF_ID | MEM_PERCPU, of another
// struct PTR_TO_BTF_ID, of another type read-only memory of its size;
// bpf_per_cpu_ptr() and bpf_this_cpu_ptr() take the per-CPU pointer
// (ARG_PTR_TO_PERCPU_BTF_ID) and return one CPU's instance
// (RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY, maybe NULL for bpf_per_cpu_ptr:
// the CPU may be out of range): a PTR_TO_BTF_ID of a struct, read-only
// memory of the type's size otherwise.

// Helper ids (enum bpf_func_id).
const (
	helperPerCPUPtr  = 153
	helperThisCPUPtr = 154
)

// ksymReg is the register an LD_IMM64 of ksym value val at pc loads: a
// number when the program does not say which variable it is (untyped
// ksyms, absent weak ones, raw programs) or the kernel does not have its
// type.
func (v *verifier) ksymReg(pc int, val uint64) regState {
	var k *bpfvm.KsymLoad
	for i := range v.prog.Ksyms {
		if v.prog.Ksyms[i].PC == pc {
			k = &v.prog.Ksyms[i]
			break
		}
	}
	if k == nil || val == 0 {
		return constScalar(val)
	}
	t := btf.UnderlyingType(k.Type)
	if _, void := t.(*btf.Void); void || t == nil {
		return constScalar(val)
	}
	kt := t
	if s, ok := t.(*btf.Struct); ok {
		// the kernel's struct, whose fields CO-RE resolved accesses to
		if kt = v.kernelStruct(s.Name); kt == nil {
			return constScalar(val)
		}
	}
	if v.env.PerCPUKsym != nil && v.env.PerCPUKsym(k.Name) {
		r := makePtr(ptrToPercpuBTFID)
		r.btfIdx = v.typeID(kt)
		return r
	}
	return v.kernelObjectReg(kt, false)
}

// kernelObjectReg is a pointer to one kernel object of type t: a
// PTR_TO_BTF_ID of a struct, else read-only memory of t's size (NULL
// unless checked, if maybeNull).
func (v *verifier) kernelObjectReg(t btf.Type, maybeNull bool) regState {
	var r regState
	if _, ok := t.(*btf.Struct); ok {
		r = makePtr(ptrToBTFID)
		r.btfIdx = v.typeID(t)
		// a bare PTR_TO_BTF_ID: fields may be read, it is not trusted
		r.flags = flagUntrusted | flagLegacy
	} else {
		size, err := btf.Sizeof(t)
		if err != nil || size <= 0 {
			return unknownScalar()
		}
		r = makePtr(ptrToMem)
		r.memSize = uint32(size)
		r.flags = flagRdonly
	}
	if maybeNull {
		r.flags |= flagMaybeNull
		r.id = v.newID()
	}
	return r
}

// perCPUPtr checks bpf_per_cpu_ptr(ptr, cpu) / bpf_this_cpu_ptr(ptr) when
// r1 is a per-CPU kernel variable and sets r0 (check_helper_call's
// RET_PTR_TO_MEM_OR_BTF_ID). handled is false for any other r1 (a number
// from a program whose ksyms are untyped): the helper's own prototype
// applies then.
func (v *verifier) perCPUPtr(st *vstate, pc int, id int32) (handled bool, err error) {
	f := st.cur()
	r1 := f.regs[1]
	if r1.typ != ptrToPercpuBTFID {
		return false, nil
	}
	if r1.off != 0 || !r1.isConst() || r1.varOff.value != 0 {
		return true, v.errorState(st, pc, "R1 must have zero offset when passed to release func or trusted arg to kfunc")
	}
	if id == helperPerCPUPtr && f.regs[2].typ != scalarValue {
		if f.regs[2].typ == notInit {
			return true, v.errorState(st, pc, "R2 !read_ok")
		}
		return true, v.errorState(st, pc, "R2 type=%s expected=scalar", v.typeName(&f.regs[2]))
	}
	t := v.btfT(r1.btfIdx)
	clobberCallerSaved(f)
	f.regs[0] = v.kernelObjectReg(t, id == helperPerCPUPtr)
	return true, nil
}
