package verifier

import (
	"math"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
)

// bpf_fastcall (verifier.c 6.12: mark_fastcall_patterns,
// check_fastcall_stack_contract, remove_fastcall_spills_fills). clang
// surrounds a call to a bpf_fastcall function with spills and fills of the
// caller-saved registers the call does not clobber (its unused arguments,
// r0 of a void function). When every stack access of a function below its
// patterns' top comes from such a pattern, the kernel removes the pairs
// around the calls it inlines and the function's stack depth shrinks to the
// part above the patterns: a program may then fit in MAX_BPF_STACK only
// without them. The pairs stay in our program (each frame has StackSize
// bytes at run time, so they are harmless); only the stack depth the
// verifier counts follows the kernel.

// fastcall holds the static marks and the per-function contract state.
type fastcall struct {
	pattern  []bool  // per insn: a spill or fill of a pattern (fastcall_pattern)
	spills   []uint8 // per call insn: pairs the kernel removes (fastcall_spills_num)
	stackOff []int   // per subprog: top of the pattern slots (fastcall_stack_off)
	keep     []bool  // per subprog: a pattern around a call not inlined (keep_fastcall_stack)
}

// fastcallClobbers is the set of caller-saved registers (bit n: rn) a call
// clobbers as if it followed the bpf_fastcall contract, and whether the
// kernel inlines it on x86-64 with the JIT (the only calls whose patterns
// it removes: bpf_get_smp_processor_id, bpf_cast_to_kern_ctx,
// bpf_rdonly_cast). ok is false for a call it cannot describe.
func (v *verifier) fastcallClobbers(in bpfvm.Insn) (mask uint16, inline, ok bool) {
	if v.env.Registry == nil {
		return 0, false, false
	}
	switch in.Src {
	case bpfvm.CallHelper:
		h := v.env.Registry.Helper(in.Imm)
		if h == nil {
			return 0, false, false
		}
		if h.Ret != bpfvm.RetVoid {
			mask |= 1
		}
		for i, a := range h.Args {
			if a != bpfvm.ArgNone {
				mask |= 1 << (i + 1)
			}
		}
		return mask, in.Imm == helperGetSmpProcessorID, true
	case bpfvm.CallKfunc:
		k := v.env.Registry.Kfunc(in.Imm)
		if k == nil {
			return 0, false, false
		}
		fp := v.kfuncProto(k)
		if fp == nil {
			return 0, false, false
		}
		if _, void := btf.UnderlyingType(fp.Return).(*btf.Void); !void && fp.Return != nil {
			mask |= 1
		}
		for i := range fp.Params {
			mask |= 1 << (i + 1)
		}
		return mask, k.Name == "bpf_cast_to_kern_ctx" || k.Name == "bpf_rdonly_cast", true
	}
	return 0, false, false
}

const (
	allCallerSaved          = 0x3f // r0-r5
	helperGetSmpProcessorID = 8
)

// markFastcallPatterns is mark_fastcall_patterns, run after the static
// checks as the kernel runs it after check_cfg.
func (v *verifier) markFastcallPatterns() {
	insns := v.prog.Insns
	n := len(insns)
	fc := &fastcall{pattern: make([]bool, n), spills: make([]uint8, n),
		stackOff: make([]int, len(v.subprogs)), keep: make([]bool, len(v.subprogs))}
	v.fc = fc
	// jump targets: where a branch, a jump or a call lands (mark_jump_target)
	target := make([]bool, n+1)
	for pc := 0; pc < n; pc++ {
		in := insns[pc]
		if v.info[pc].second {
			continue
		}
		if in.IsLdImm64() && in.Src == bpfvm.PseudoFunc {
			if t := pc + 1 + int(in.Imm); t >= 0 && t < n {
				target[t] = true
			}
			continue
		}
		c := in.Class()
		if c != bpfvm.ClassJMP && c != bpfvm.ClassJMP32 || in.Op&0xf0 == bpfvm.JmpEXIT {
			continue
		}
		if in.Op&0xf0 == bpfvm.JmpCALL {
			if c == bpfvm.ClassJMP && in.Src == bpfvm.CallLocal {
				if t := pc + 1 + int(in.Imm); t >= 0 && t < n {
					target[t] = true
				}
			}
			continue
		}
		if t := jumpTarget(in, pc); t >= 0 && t < n {
			target[t] = true
		}
	}
	isSpill := func(in bpfvm.Insn) bool {
		return in.Op == bpfvm.ClassSTX|bpfvm.ModeMEM|bpfvm.SizeDW && in.Dst == 10
	}
	for s, sp := range v.subprogs {
		lowest := 0
		for pc := sp.start; pc < sp.end; pc++ {
			if in := insns[pc]; isSpill(in) && !v.info[pc].second {
				lowest = min(lowest, int(in.Off))
			}
		}
		for pc := sp.start; pc < sp.end; pc++ {
			in := insns[pc]
			if v.info[pc].second || in.Op != bpfvm.ClassJMP|bpfvm.JmpCALL || in.Src == bpfvm.CallLocal {
				continue
			}
			v.markFastcallPattern(s, pc, lowest, target)
		}
	}
}

// markFastcallPattern is mark_fastcall_pattern_for_call.
func (v *verifier) markFastcallPattern(s, pc, lowest int, target []bool) {
	insns := v.prog.Insns
	fc := v.fc
	clobbered, inline, ok := v.fastcallClobbers(insns[pc])
	if !ok || clobbered == allCallerSaved {
		return
	}
	expected := ^clobbered & allCallerSaved
	i, off := 1, lowest
	for ; i <= 5; i, off = i+1, off+8 {
		if pc-i < 0 || pc+i >= len(insns) {
			break
		}
		if target[pc-i+1] || target[pc+i] {
			break
		}
		stx, ldx := insns[pc-i], insns[pc+i]
		if stx.Op != bpfvm.ClassSTX|bpfvm.ModeMEM|bpfvm.SizeDW || ldx.Op != bpfvm.ClassLDX|bpfvm.ModeMEM|bpfvm.SizeDW ||
			stx.Dst != 10 || ldx.Src != 10 || stx.Src != ldx.Dst || expected&(1<<stx.Src) == 0 ||
			int(stx.Off) != off || int(ldx.Off) != off {
			break
		}
		expected &^= 1 << stx.Src
		fc.pattern[pc-i] = true
		fc.pattern[pc+i] = true
	}
	if i == 1 {
		return
	}
	if inline {
		fc.spills[pc] = uint8(i - 1)
	} else {
		fc.keep[s] = true
	}
	fc.stackOff[s] = min(fc.stackOff[s], off)
}

// fastcallContract is check_fastcall_stack_contract: an access at off of
// the stack of function s by the instruction at pc. One that is not part of
// a pattern, below the patterns' top, keeps the function's pairs.
func (v *verifier) fastcallContract(s, pc, off int) {
	fc := v.fc
	if fc == nil || s < 0 || s >= len(fc.stackOff) || fc.stackOff[s] <= off || fc.pattern[pc] {
		return
	}
	fc.stackOff[s] = math.MinInt16
	for i := v.subprogs[s].start; i < v.subprogs[s].end; i++ {
		fc.spills[i] = 0
		fc.pattern[i] = false
	}
}

// removeFastcall is the stack depth part of remove_fastcall_spills_fills:
// a function whose inlined calls' pairs go keeps only the stack above them.
func (v *verifier) removeFastcall() {
	fc := v.fc
	if fc == nil {
		return
	}
	for s, sp := range v.subprogs {
		modified := false
		for pc := sp.start; pc < sp.end; pc++ {
			if fc.spills[pc] > 0 {
				modified = true
			}
		}
		if modified && !fc.keep[s] {
			v.subprogs[s].stackDepth = -fc.stackOff[s]
		}
	}
}
