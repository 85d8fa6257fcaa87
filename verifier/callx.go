package verifier

import "github.com/schedsim/schedsim/bpfvm"

// callx (BPF_JMP | BPF_CALL | BPF_X, opcode 0x8d): a call through a
// register, as LLVM emits for a call through a function pointer. The
// register must hold a subprogram's address (LD_IMM64 PseudoFunc); the
// call is then checked as a bpf-to-bpf call of that subprogram, on each
// path with the address the path carries. The interpreter and the JIT
// fault on any other value.

func isCallx(in bpfvm.Insn) bool { return in.Op == bpfvm.ClassJMP|bpfvm.SrcX|bpfvm.JmpCALL }

// validCallx: the reserved fields of callx are zero.
func validCallx(in bpfvm.Insn) bool {
	return isCallx(in) && in.Src == 0 && in.Off == 0 && in.Imm == 0 && in.Dst <= 10
}

func (v *verifier) checkCallx(st *vstate, pc int, in bpfvm.Insn) (int, bool, error) {
	r, err := v.readReg(st, pc, in.Dst)
	if err != nil {
		return 0, false, err
	}
	if r.typ != ptrToFunc {
		return 0, false, v.errorState(st, pc, "callx r%d: R%d type=%s expected=func", in.Dst, in.Dst, v.typeName(r))
	}
	target := int(r.subprog)
	if sp := v.subprogIndex(target); v.isGlobal(sp) {
		return v.checkGlobalCall(st, pc, sp)
	}
	return v.checkLocalCall(st, pc, target, cbNone)
}
