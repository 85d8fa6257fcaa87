package verifier

import (
	"fmt"
	"sort"

	"github.com/schedsim/schedsim/bpfvm"
)

// Static checks before exploration, after check_subprogs and check_cfg in
// kernel/bpf/verifier.c (Linux 6.12): opcodes, register numbers, 64-bit
// loads, subprogram boundaries, jump targets, reachability; and a static
// register liveness analysis used when comparing states.

const (
	opMayGoto = bpfvm.ClassJMP | bpfvm.JmpJCOND // 0xe5: may_goto (BPF_JCOND, src BPF_MAY_GOTO)
	opGotol   = bpfvm.ClassJMP32 | bpfvm.JmpJA  // 0x06: gotol (32-bit offset in Imm)
)

type subprog struct {
	start, end int // [start, end)
	name       string
	stackDepth int // deepest stack byte used, found during exploration
	calls      []int
	global     *globalFunc // non-nil for a global function (global.go)
}

// insnInfo is per-instruction static information.
type insnInfo struct {
	prune    bool // a prune point: states are compared and stored here
	loopHead bool // iterator next, may_goto, callback call: in-progress states prune
	mayGoto  bool // a may_goto
	seen     bool // reached during exploration
	liveIn   uint16
	second   bool // second slot of LD_IMM64
	entry    bool // first instruction of a function
	// ptrType is the pointer type a load or store first went through
	// (insn_aux_data.ptr_type), 0 before.
	ptrType regType
}

// validOp reports whether op is a known opcode (check_subprogs / do_check).
func validInsn(insns []bpfvm.Insn, pc int) (string, bool) {
	in := insns[pc]
	cls := in.Class()
	switch cls {
	case bpfvm.ClassALU, bpfvm.ClassALU64:
		op := in.Op & 0xf0
		if op > bpfvm.AluEND {
			return "", false
		}
		if op == bpfvm.AluEND {
			if cls == bpfvm.ClassALU64 && in.Op&bpfvm.SrcX != 0 {
				return "", false
			}
			if in.Imm != 16 && in.Imm != 32 && in.Imm != 64 {
				return "BPF_END uses reserved fields", false
			}
			if in.Src != 0 || in.Off != 0 {
				return "BPF_END uses reserved fields", false
			}
			return "", true
		}
		if op == bpfvm.AluNEG {
			if in.Op&bpfvm.SrcX != 0 || in.Src != 0 || in.Off != 0 || in.Imm != 0 {
				return "BPF_NEG uses reserved fields", false
			}
			return "", true
		}
		if in.Op&bpfvm.SrcX == 0 && in.Src != 0 {
			return "BPF_ALU uses reserved fields", false
		}
		if in.Op&bpfvm.SrcX != 0 && in.Imm != 0 && !(op == bpfvm.AluMOV && cls == bpfvm.ClassALU64 && in.Off == 1) {
			return "BPF_ALU uses reserved fields", false
		}
		switch op {
		case bpfvm.AluDIV, bpfvm.AluMOD:
			if in.Off != 0 && in.Off != 1 {
				return "BPF_ALU uses reserved fields", false
			}
		case bpfvm.AluMOV:
			if in.Off != 0 && !(in.Op&bpfvm.SrcX != 0 && (in.Off == 8 || in.Off == 16 || (in.Off == 32 || in.Off == 1) && cls == bpfvm.ClassALU64)) {
				return "BPF_MOV uses reserved fields", false
			}
		default:
			if in.Off != 0 {
				return "BPF_ALU uses reserved fields", false
			}
		}
		return "", true
	case bpfvm.ClassJMP, bpfvm.ClassJMP32:
		op := in.Op & 0xf0
		switch op {
		case bpfvm.JmpCALL:
			if validCallx(in) {
				return "", true
			}
			if cls != bpfvm.ClassJMP || in.Op&bpfvm.SrcX != 0 || in.Dst != 0 || in.Off != 0 && in.Src != bpfvm.CallKfunc {
				return "BPF_CALL uses reserved fields", false
			}
			if in.Src > bpfvm.CallKfunc {
				return "BPF_CALL uses reserved fields", false
			}
			return "", true
		case bpfvm.JmpEXIT:
			if cls != bpfvm.ClassJMP || in.Op&bpfvm.SrcX != 0 || in.Src != 0 || in.Dst != 0 || in.Off != 0 || in.Imm != 0 {
				return "BPF_EXIT uses reserved fields", false
			}
			return "", true
		case bpfvm.JmpJA:
			if in.Op&bpfvm.SrcX != 0 || in.Src != 0 || in.Dst != 0 {
				return "BPF_JA uses reserved fields", false
			}
			if cls == bpfvm.ClassJMP && in.Imm != 0 || cls == bpfvm.ClassJMP32 && in.Off != 0 {
				return "BPF_JA uses reserved fields", false
			}
			return "", true
		case bpfvm.JmpJCOND:
			if cls != bpfvm.ClassJMP || in.Op&bpfvm.SrcX != 0 || in.Src != 0 || in.Dst != 0 || in.Imm != 0 {
				return "invalid may_goto", false
			}
			return "", true
		case 0xf0:
			return "", false
		}
		if in.Op&bpfvm.SrcX == 0 && in.Src != 0 || in.Op&bpfvm.SrcX != 0 && in.Imm != 0 {
			return "BPF_JMP/JMP32 uses reserved fields", false
		}
		return "", true
	case bpfvm.ClassLD:
		if in.IsLdImm64() {
			if pc+1 >= len(insns) {
				return "invalid BPF_LD_IMM insn", false
			}
			n := insns[pc+1]
			if n.Op != 0 || n.Dst != 0 || n.Src != 0 || n.Off != 0 {
				return "invalid BPF_LD_IMM insn", false
			}
			switch in.Src {
			case 0, bpfvm.PseudoMapIdx, bpfvm.PseudoMapIdxValue, bpfvm.PseudoFunc, bpfvm.PseudoBTFID:
			case bpfvm.PseudoMapFD, bpfvm.PseudoMapValue:
				// the loader resolves every map fd with a relocation
				// to an index: this one names no map
				// (resolve_pseudo_ldimm64)
				return fmt.Sprintf("fd %d is not pointing to valid bpf_map", in.Imm), false
			default:
				return "invalid BPF_LD_IMM insn", false
			}
			if in.Off != 0 {
				return "invalid BPF_LD_IMM insn", false
			}
			if in.Src == 0 && n.Op != 0 {
				return "invalid BPF_LD_IMM insn", false
			}
			if (in.Src == bpfvm.PseudoFunc || in.Src == bpfvm.PseudoMapIdx) && n.Imm != 0 {
				// bpfvm's encoding leaves the upper half 0 (the kernel
				// ignores it and writes the address there)
				return "invalid BPF_LD_IMM insn", false
			}
			return "", true
		}
		if in.Op&0xe0 == bpfvm.ModeABS || in.Op&0xe0 == bpfvm.ModeIND {
			return "BPF_LD_[ABS|IND] instructions not allowed for this program type", false
		}
		return "", false
	case bpfvm.ClassLDX:
		mode := in.Op & 0xe0
		if mode != bpfvm.ModeMEM && mode != bpfvm.ModeMEMSX {
			return "", false
		}
		if mode == bpfvm.ModeMEMSX && in.Op&0x18 == bpfvm.SizeDW {
			return "", false
		}
		if in.Imm != 0 {
			return "BPF_LDX uses reserved fields", false
		}
		return "", true
	case bpfvm.ClassST:
		if in.Op&0xe0 != bpfvm.ModeMEM {
			return "", false
		}
		if in.Src != 0 {
			return "BPF_ST uses reserved fields", false
		}
		return "", true
	case bpfvm.ClassSTX:
		mode := in.Op & 0xe0
		if mode == bpfvm.ModeMEM {
			if in.Imm != 0 {
				return "BPF_STX uses reserved fields", false
			}
			return "", true
		}
		if mode == bpfvm.ModeATOMIC {
			sz := in.Op & 0x18
			if sz != bpfvm.SizeW && sz != bpfvm.SizeDW {
				return "invalid atomic operand size", false
			}
			switch in.Imm {
			case bpfvm.AtomicADD, bpfvm.AtomicOR, bpfvm.AtomicAND, bpfvm.AtomicXOR,
				bpfvm.AtomicADD | bpfvm.AtomicFETCH, bpfvm.AtomicOR | bpfvm.AtomicFETCH,
				bpfvm.AtomicAND | bpfvm.AtomicFETCH, bpfvm.AtomicXOR | bpfvm.AtomicFETCH,
				bpfvm.AtomicXCHG, bpfvm.AtomicCMPXCHG:
				return "", true
			}
			return "BPF_ATOMIC uses invalid atomic opcode", false
		}
		return "", false
	}
	return "", false
}

// jumpTarget returns the target of a jump instruction.
func jumpTarget(in bpfvm.Insn, pc int) int {
	if in.Op == opGotol {
		return pc + 1 + int(in.Imm)
	}
	return pc + 1 + int(in.Off)
}

func isCondJmp(in bpfvm.Insn) bool {
	c := in.Class()
	if c != bpfvm.ClassJMP && c != bpfvm.ClassJMP32 {
		return false
	}
	switch in.Op & 0xf0 {
	case bpfvm.JmpJA, bpfvm.JmpCALL, bpfvm.JmpEXIT, bpfvm.JmpJCOND:
		return false
	}
	return true
}

// checkStatic runs the checks that need no abstract state. It fills
// v.subprogs and v.info.
func (v *verifier) checkStatic() error {
	insns := v.prog.Insns
	n := len(insns)
	if n == 0 {
		return v.errorf(0, "last insn is not an exit or jmp")
	}
	if n > 1000000 {
		return v.errorf(0, "BPF program is too large. Processed %d insn", n)
	}
	v.info = make([]insnInfo, n)
	// opcodes, registers, ld_imm64 second slots
	for pc := 0; pc < n; pc++ {
		in := insns[pc]
		if msg, ok := validInsn(insns, pc); !ok {
			if msg == "" {
				return v.errorf(pc, "unknown opcode %02x", in.Op)
			}
			if v.env.CtxNotModelled && in.Class() == bpfvm.ClassLD && (in.Op&0xe0 == bpfvm.ModeABS || in.Op&0xe0 == bpfvm.ModeIND) {
				// packet access of socket filters and tc programs
				return v.notModelled(nil, pc, "program type %s is not modelled: BPF_LD_[ABS|IND] reads its packet", v.progType())
			}
			return v.errorf(pc, "%s", msg)
		}
		if in.Dst > 10 {
			return v.errorf(pc, "R%d is invalid", in.Dst)
		}
		if in.Src > 10 && !(in.Class() == bpfvm.ClassJMP && in.Op&0xf0 == bpfvm.JmpCALL) && !in.IsLdImm64() {
			return v.errorf(pc, "R%d is invalid", in.Src)
		}
		if in.IsLdImm64() {
			if in.Src == bpfvm.PseudoMapIdx || in.Src == bpfvm.PseudoMapIdxValue {
				if err := v.mapProgCompatible(pc, int(in.Imm)); err != nil {
					return err
				}
			}
			v.info[pc+1].second = true
			pc++
		}
	}
	// subprograms: entry, Program.Funcs, targets of local calls and PseudoFunc
	starts := map[int]bool{0: true}
	for _, f := range v.prog.Funcs {
		if f.Start > 0 && f.Start < n {
			starts[f.Start] = true
		}
	}
	for pc := 0; pc < n; pc++ {
		in := insns[pc]
		if v.info[pc].second {
			continue
		}
		isCall := in.Op == bpfvm.ClassJMP|bpfvm.JmpCALL && in.Src == bpfvm.CallLocal
		isFn := in.IsLdImm64() && in.Src == bpfvm.PseudoFunc
		if isCall || isFn {
			t := pc + 1 + int(in.Imm)
			if t < 0 || t >= n || v.info[t].second {
				return v.errorf(pc, "call to invalid destination")
			}
			starts[t] = true
		}
	}
	var ss []int
	for s := range starts {
		ss = append(ss, s)
	}
	sort.Ints(ss)
	v.subprogs = make([]subprog, len(ss))
	for i, s := range ss {
		end := n
		if i+1 < len(ss) {
			end = ss[i+1]
		}
		name := ""
		if f, ok := v.prog.FuncFor(s); ok && f.Start == s {
			name = f.Name
		}
		if name == "" {
			if s == 0 {
				name = v.prog.Name
			} else {
				name = "subprog"
			}
		}
		v.subprogs[i] = subprog{start: s, end: end, name: name}
		if f, ok := v.prog.FuncFor(s); ok && f.Start == s && f.Global && s != 0 {
			v.subprogs[i].global = &globalFunc{}
		}
	}
	// jumps stay inside their subprogram; each subprogram ends in exit or ja
	for i, sp := range v.subprogs {
		for pc := sp.start; pc < sp.end; pc++ {
			if v.info[pc].second {
				continue
			}
			in := insns[pc]
			c := in.Class()
			if (c == bpfvm.ClassJMP || c == bpfvm.ClassJMP32) && in.Op&0xf0 != bpfvm.JmpCALL && in.Op&0xf0 != bpfvm.JmpEXIT {
				t := jumpTarget(in, pc)
				if t < sp.start || t >= sp.end {
					return v.errorf(pc, "jump out of range from insn %d to %d", pc, t)
				}
				if v.info[t].second {
					return v.errorf(pc, "jump into the middle of ldimm64 insn %d", t-1)
				}
			}
		}
		last := sp.end - 1
		if last > sp.start && v.info[last].second {
			last--
		}
		li := insns[last]
		if li.Op != bpfvm.ClassJMP|bpfvm.JmpEXIT && li.Op != bpfvm.ClassJMP|bpfvm.JmpJA && li.Op != opGotol {
			if sp.end == n {
				return v.errorf(last, "jump out of range from insn %d to %d", last, n)
			}
			return v.errorf(last, "last insn is not an exit or jmp")
		}
		_ = i
	}
	// reachability (check_cfg): DFS from 0 and from every subprogram that is
	// called or whose address is taken by a reachable instruction.
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, n)
	type frame struct{ pc, next int }
	var succs func(pc int) []int
	succs = func(pc int) []int {
		in := insns[pc]
		c := in.Class()
		if c == bpfvm.ClassJMP || c == bpfvm.ClassJMP32 {
			switch in.Op & 0xf0 {
			case bpfvm.JmpEXIT:
				return nil
			case bpfvm.JmpCALL:
				if in.Src == bpfvm.CallLocal {
					return []int{pc + 1, pc + 1 + int(in.Imm)}
				}
				return []int{pc + 1}
			case bpfvm.JmpJA:
				return []int{jumpTarget(in, pc)}
			}
			return []int{pc + 1, jumpTarget(in, pc)}
		}
		if in.IsLdImm64() {
			if in.Src == bpfvm.PseudoFunc {
				return []int{pc + 2, pc + 1 + int(in.Imm)}
			}
			return []int{pc + 2}
		}
		return []int{pc + 1}
	}
	stack := []frame{{0, 0}}
	color[0] = grey
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		s := succs(top.pc)
		if top.next >= len(s) {
			color[top.pc] = black
			stack = stack[:len(stack)-1]
			continue
		}
		w := s[top.next]
		top.next++
		if w < 0 || w >= n {
			return v.errorf(top.pc, "jump out of range from insn %d to %d", top.pc, w)
		}
		in := insns[top.pc]
		isEdgeToCallee := top.next == 2 && ((in.Op == bpfvm.ClassJMP|bpfvm.JmpCALL && in.Src == bpfvm.CallLocal) ||
			(in.IsLdImm64() && in.Src == bpfvm.PseudoFunc))
		switch color[w] {
		case white:
			color[w] = grey
			stack = append(stack, frame{w, 0})
		case grey:
			if v.env.NoBackEdges && !isEdgeToCallee {
				return v.errorf(top.pc, "back-edge from insn %d to %d", top.pc, w)
			}
		}
	}
	for pc := 0; pc < n; pc++ {
		if color[pc] == white && !v.info[pc].second {
			return v.errorf(pc, "unreachable insn %d", pc)
		}
	}
	// prune points: jump targets, fall-throughs of conditional jumps, the
	// instruction after a call, subprogram entries.
	for pc := 0; pc < n; pc++ {
		if v.info[pc].second {
			continue
		}
		in := insns[pc]
		c := in.Class()
		if c == bpfvm.ClassJMP || c == bpfvm.ClassJMP32 {
			switch in.Op & 0xf0 {
			case bpfvm.JmpEXIT:
			case bpfvm.JmpCALL:
				if pc+1 < n {
					v.info[pc+1].prune = true
				}
				if v.isLoopHeadCall(in) {
					v.info[pc].prune = true
					v.info[pc].loopHead = true
				}
			case bpfvm.JmpJCOND:
				v.info[pc].prune = true
				v.info[pc].loopHead = true
				v.info[pc].mayGoto = true
				v.info[jumpTarget(in, pc)].prune = true
				v.info[pc+1].prune = true
			case bpfvm.JmpJA:
				v.info[jumpTarget(in, pc)].prune = true
			default:
				v.info[jumpTarget(in, pc)].prune = true
				v.info[pc+1].prune = true
			}
		}
	}
	for _, sp := range v.subprogs {
		v.info[sp.start].prune = true
		v.info[sp.start].entry = true
	}
	v.computeLiveness()
	v.markFastcallPatterns()
	return nil
}

// isLoopHeadCall: iterator next kfuncs and helpers that call callbacks in a
// loop; states in progress at these calls may prune (is_state_visited).
func (v *verifier) isLoopHeadCall(in bpfvm.Insn) bool {
	switch in.Src {
	case bpfvm.CallKfunc:
		if v.env.Registry != nil {
			if k := v.env.Registry.Kfunc(in.Imm); k != nil {
				_, op, ok := iterKind(k)
				return ok && op == "next"
			}
		}
		return false
	case bpfvm.CallHelper:
		return in.Imm == helperLoop || in.Imm == helperUserRingbufDrain
	}
	return false
}

// computeLiveness computes, for every instruction, the registers r0..r9
// that may be read before being written on some path from it (within its
// function; a call reads r1-r5 and clobbers r0-r5; exit reads r0).
func (v *verifier) computeLiveness() {
	insns := v.prog.Insns
	n := len(insns)
	use := make([]uint16, n)
	def := make([]uint16, n)
	for pc := 0; pc < n; pc++ {
		if v.info[pc].second {
			continue
		}
		in := insns[pc]
		d, s := uint16(1)<<in.Dst, uint16(1)<<in.Src
		switch in.Class() {
		case bpfvm.ClassALU, bpfvm.ClassALU64:
			op := in.Op & 0xf0
			if op != bpfvm.AluMOV {
				use[pc] |= d
			}
			if in.Op&bpfvm.SrcX != 0 && op != bpfvm.AluEND && op != bpfvm.AluNEG {
				use[pc] |= s
			}
			def[pc] = d
		case bpfvm.ClassLDX:
			use[pc] = s
			def[pc] = d
		case bpfvm.ClassST:
			use[pc] = d
		case bpfvm.ClassSTX:
			use[pc] = d | s
			if in.Op&0xe0 == bpfvm.ModeATOMIC {
				if in.Imm == bpfvm.AtomicCMPXCHG {
					use[pc] |= 1
					def[pc] = 1
				} else if in.Imm&bpfvm.AtomicFETCH != 0 {
					def[pc] = s
				}
			}
		case bpfvm.ClassLD:
			def[pc] = d
		case bpfvm.ClassJMP, bpfvm.ClassJMP32:
			switch in.Op & 0xf0 {
			case bpfvm.JmpCALL:
				use[pc] = 0x3e
				def[pc] = 0x3f
			case bpfvm.JmpEXIT:
				use[pc] = 1
			case bpfvm.JmpJA, bpfvm.JmpJCOND:
			default:
				use[pc] = d
				if in.Op&bpfvm.SrcX != 0 {
					use[pc] |= s
				}
			}
		}
		use[pc] &= 0x3ff
		def[pc] &= 0x3ff
	}
	for changed := true; changed; {
		changed = false
		for pc := n - 1; pc >= 0; pc-- {
			if v.info[pc].second {
				continue
			}
			in := insns[pc]
			var out uint16
			add := func(t int) {
				if t >= 0 && t < n {
					out |= v.info[t].liveIn
				}
			}
			c := in.Class()
			switch {
			case c == bpfvm.ClassJMP || c == bpfvm.ClassJMP32:
				switch in.Op & 0xf0 {
				case bpfvm.JmpEXIT:
				case bpfvm.JmpCALL:
					add(pc + 1)
				case bpfvm.JmpJA:
					add(jumpTarget(in, pc))
				default:
					add(pc + 1)
					add(jumpTarget(in, pc))
				}
			case in.IsLdImm64():
				add(pc + 2)
			default:
				add(pc + 1)
			}
			live := use[pc] | out&^def[pc]
			if live != v.info[pc].liveIn {
				v.info[pc].liveIn = live
				changed = true
			}
		}
	}
}

// mapProgCompatible is check_map_prog_compatibility (verifier.c 6.12): the
// special fields of a map some program types may not use.
func (v *verifier) mapProgCompatible(pc, mapIdx int) error {
	ms := v.mapSpec(mapIdx)
	if ms == nil {
		return nil
	}
	tracing := false
	switch v.env.ProgType {
	case "kprobe", "tracepoint", "perf_event", "raw_tracepoint":
		tracing = true
	}
	if !tracing && v.env.ProgType != "socket_filter" {
		return nil
	}
	fields := v.specialFields(ms.Value)
	if tracing && (hasField(fields, "bpf_list_head") || hasField(fields, "bpf_rb_root")) {
		return v.errorf(pc, "tracing progs cannot use bpf_{list_head,rb_root} yet")
	}
	if hasField(fields, "bpf_spin_lock") {
		if !tracing {
			return v.errorf(pc, "socket filter progs cannot use bpf_spin_lock yet")
		}
		return v.errorf(pc, "tracing progs cannot use bpf_spin_lock yet")
	}
	if tracing && hasField(fields, "bpf_timer") {
		return v.errorf(pc, "tracing progs cannot use bpf_timer yet")
	}
	return nil
}
