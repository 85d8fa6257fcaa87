package verifier

import "github.com/schedsim/schedsim/bpfvm"

// Precision tracking (mark_chain_precision, backtrack_insn,
// propagate_precision; kernel/bpf/verifier.c).
//
// A scalar is precise in a checkpoint when some path from it depends on
// its value: a branch decided by its range, pointer arithmetic, a size or
// constant argument, a checked return value. Only those scalars must be
// covered when a complete checkpoint prunes another path; the others
// match any scalar. When the verifier relies on a register, it walks the
// path's instruction history backwards to find where the value came from
// (registers and stack slots, through calls and returns) and marks it
// precise in every checkpoint on the way. A path pruned by a checkpoint
// inherits its precise scalars. In-progress checkpoints (loop heads) are
// compared with every scalar precise, since their marks are not final.

// histEntry is one executed instruction of a path segment.
type histEntry struct {
	pc    int32
	link  int32 // cond jump: index+1 into verifier.links of the scalars linked with an operand
	frame int8  // frame depth executing pc
	// stack access: frame and slot (-1: none), and whether the store
	// wrote all 8 bytes of the slot
	sFrame int8
	sSlot  int8
	sFull  bool
}

// linkHolder is a register (slot < 0) or spilled slot holding a scalar
// with a given id.
type linkHolder struct {
	frame int8
	reg   int8
	slot  int8
}

// btMasks are the registers and stack slots, per frame, whose values are
// needed precisely.
type btMasks struct {
	regs  [bpfvm.MaxCallFrames]uint16
	slots [bpfvm.MaxCallFrames]uint64
}

func (m *btMasks) empty() bool {
	for i := range m.regs {
		if m.regs[i] != 0 || m.slots[i] != 0 {
			return false
		}
	}
	return true
}

// record appends the instruction about to be checked to the path history.
func (st *vstate) record(pc int) {
	st.hist = append(st.hist, histEntry{pc: int32(pc), frame: int8(len(st.frames) - 1), sFrame: -1, sSlot: -1})
}

// noteStackAccess records the stack slot accessed by the current
// instruction.
func (st *vstate) noteStackAccess(frame int, slot int64, full bool) {
	if n := len(st.hist); n > 0 && frame >= 0 && frame < bpfvm.MaxCallFrames && slot >= 0 && slot < 64 {
		st.hist[n-1].sFrame, st.hist[n-1].sSlot, st.hist[n-1].sFull = int8(frame), int8(slot), full
	}
}

// noteLinks records, for the conditional jump being checked, the holders
// of the ids of its scalar operands.
func (v *verifier) noteLinks(st *vstate, ids ...uint32) {
	n := len(st.hist)
	if n == 0 {
		return
	}
	var hs []linkHolder
	for fi, f := range st.frames {
		for r := 0; r < 10; r++ {
			if x := &f.regs[r]; x.typ == scalarValue && x.id != 0 && hasID(ids, x.id) {
				hs = append(hs, linkHolder{frame: int8(fi), reg: int8(r), slot: -1})
			}
		}
		for s := range f.stack {
			if sl := &f.stack[s]; s < 64 && sl.isSpill() && sl.spill.typ == scalarValue && sl.spill.id != 0 && hasID(ids, sl.spill.id) {
				hs = append(hs, linkHolder{frame: int8(fi), reg: -1, slot: int8(s)})
			}
		}
	}
	if len(hs) > 1 {
		v.links = append(v.links, hs)
		st.hist[n-1].link = int32(len(v.links))
	}
}

func hasID(ids []uint32, id uint32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// markPrecise records that the verifier relies on the value of scalar
// register regno of the current frame.
func (v *verifier) markPrecise(st *vstate, regno int) {
	if regno < 0 || regno > 9 {
		return
	}
	if st.cur().regs[regno].typ != scalarValue {
		return
	}
	var m btMasks
	m.regs[len(st.frames)-1] = 1 << uint(regno)
	v.backtrack(st, &m, true)
}

// backtrack walks the path back from st, moving the needs of m from each
// instruction's results to its operands, and marks what is needed at each
// checkpoint on the way as precise. current: the last instruction of the
// history is the one being checked, whose operands m describes (the
// kernel's skip_first).
func (v *verifier) backtrack(st *vstate, m *btMasks, current bool) {
	hist := st.hist
	after := len(st.frames) - 1
	if current && len(hist) > 0 {
		after = int(hist[len(hist)-1].frame)
		hist = hist[:len(hist)-1]
	}
	parent := st.parent
	for guard := 0; ; guard++ {
		if guard > 1<<20 {
			v.markAllPrecise(st)
			return
		}
		for i := len(hist) - 1; i >= 0; i-- {
			if m.empty() {
				return
			}
			e := hist[i]
			if !v.backtrackInsn(e, after, m) {
				v.markAllPrecise(st)
				return
			}
			after = int(e.frame)
		}
		if m.empty() || parent == nil {
			return
		}
		c := parent
		if after != len(c.st.frames)-1 {
			v.markAllPrecise(st)
			return
		}
		v.markCheckpoint(c, m)
		hist = c.hist
		parent = c.parent
	}
}

// markCheckpoint marks the needs of m precise in checkpoint c. What is
// already precise there was handled when it was marked; what is not a
// scalar (pointers, plain stack bytes) needs nothing before.
func (v *verifier) markCheckpoint(c *checkpoint, m *btMasks) {
	var newIDs []uint32
	for fi, f := range c.st.frames {
		if fi >= bpfvm.MaxCallFrames {
			break
		}
		for r := 0; r < 10; r++ {
			if m.regs[fi]&(1<<uint(r)) == 0 {
				continue
			}
			x := &f.regs[r]
			if x.typ != scalarValue || x.precise {
				m.regs[fi] &^= 1 << uint(r)
				continue
			}
			x.precise = true
			if x.id != 0 {
				newIDs = append(newIDs, x.id)
			}
		}
		if m.slots[fi] == 0 {
			continue
		}
		for s := 0; s < 64; s++ {
			if m.slots[fi]&(1<<uint(s)) == 0 {
				continue
			}
			if s >= len(f.stack) || !f.stack[s].isSpill() || f.stack[s].spill.typ != scalarValue || f.stack[s].spill.precise {
				m.slots[fi] &^= 1 << uint(s)
				continue
			}
			f.ownStack()
			f.stack[s].spill.precise = true
			if id := f.stack[s].spill.id; id != 0 {
				newIDs = append(newIDs, id)
			}
		}
	}
	for len(newIDs) > 0 {
		// scalars linked with a precise one are precise too
		id := newIDs[len(newIDs)-1]
		newIDs = newIDs[:len(newIDs)-1]
		for fi, f := range c.st.frames {
			if fi >= bpfvm.MaxCallFrames {
				break
			}
			for r := 0; r < 10; r++ {
				if x := &f.regs[r]; x.typ == scalarValue && x.id == id && !x.precise {
					x.precise = true
					m.regs[fi] |= 1 << uint(r)
				}
			}
			for s := range f.stack {
				if s < 64 && f.stack[s].isSpill() && f.stack[s].spill.typ == scalarValue && f.stack[s].spill.id == id && !f.stack[s].spill.precise {
					f.ownStack()
					f.stack[s].spill.precise = true
					m.slots[fi] |= 1 << uint(s)
				}
			}
		}
	}
}

// markAllPrecise is the fallback when the history cannot be followed:
// every scalar of every checkpoint up the path is precise.
func (v *verifier) markAllPrecise(st *vstate) {
	for c := st.parent; c != nil; c = c.parent {
		for _, f := range c.st.frames {
			for r := range f.regs {
				if f.regs[r].typ == scalarValue {
					f.regs[r].precise = true
				}
			}
			for s := range f.stack {
				if f.stack[s].isSpill() && f.stack[s].spill.typ == scalarValue && !f.stack[s].spill.precise {
					f.ownStack()
					f.stack[s].spill.precise = true
				}
			}
		}
	}
}

const argRegs = 0x3e // r1-r5

// backtrackInsn moves the needs of m across instruction e, executed at
// frame depth e.frame; the state after it was at depth after. It reports
// false when it cannot tell (the caller then makes everything precise).
func (v *verifier) backtrackInsn(e histEntry, after int, m *btMasks) bool {
	d := int(e.frame)
	if d < 0 || d >= bpfvm.MaxCallFrames || after < 0 || after >= bpfvm.MaxCallFrames || int(e.pc) >= len(v.prog.Insns) {
		return false
	}
	in := v.prog.Insns[e.pc]
	cls := in.Class()
	isCall := (cls == bpfvm.ClassJMP) && in.Op&0xf0 == bpfvm.JmpCALL
	isExit := (cls == bpfvm.ClassJMP) && in.Op&0xf0 == bpfvm.JmpEXIT
	switch {
	case after == d:
	case after == d+1 && isCall:
		// entering a callee: its r1-r5 were the caller's; a callback's
		// arguments were made from the caller's r1-r5
		callee := m.regs[after]
		if callee&^uint16(argRegs) != 0 || m.slots[after] != 0 {
			return false
		}
		if in.Src == bpfvm.CallLocal {
			m.regs[d] |= callee
		} else if callee != 0 {
			m.regs[d] |= argRegs
		}
		m.regs[after] = 0
		return true
	case after == d-1 && isExit:
		// leaving a callee: the caller's r0 is the callee's
		if m.regs[after]&argRegs != 0 {
			return false
		}
		if m.regs[after]&1 != 0 {
			m.regs[after] &^= 1
			m.regs[d] |= 1
		}
		return true
	default:
		return false
	}
	regs := &m.regs[d]
	bit := func(r uint8) uint16 { return 1 << uint(r) }
	switch cls {
	case bpfvm.ClassALU, bpfvm.ClassALU64:
		op := in.Op & 0xf0
		if *regs&bit(in.Dst) == 0 {
			return true
		}
		if op == bpfvm.AluMOV {
			*regs &^= bit(in.Dst)
			if in.Op&bpfvm.SrcX != 0 {
				*regs |= bit(in.Src)
			}
			return true
		}
		if in.Op&bpfvm.SrcX != 0 && op != bpfvm.AluEND && op != bpfvm.AluNEG {
			*regs |= bit(in.Src)
		}
		return true
	case bpfvm.ClassLD:
		*regs &^= bit(in.Dst)
		return true
	case bpfvm.ClassLDX:
		if *regs&bit(in.Dst) == 0 {
			return true
		}
		*regs &^= bit(in.Dst)
		if e.sSlot >= 0 && int(e.sFrame) < bpfvm.MaxCallFrames {
			m.slots[e.sFrame] |= 1 << uint(e.sSlot)
		}
		return true
	case bpfvm.ClassST, bpfvm.ClassSTX:
		atomic := in.Op&0xe0 == bpfvm.ModeATOMIC
		if atomic {
			if in.Imm&bpfvm.AtomicFETCH != 0 || in.Imm == bpfvm.AtomicCMPXCHG {
				if *regs&(bit(in.Src)|1) != 0 {
					return false
				}
			}
			if e.sSlot >= 0 && m.slots[e.sFrame]&(1<<uint(e.sSlot)) != 0 {
				return false
			}
			return true
		}
		if e.sSlot < 0 {
			return true
		}
		sb := uint64(1) << uint(e.sSlot)
		if m.slots[e.sFrame]&sb == 0 {
			return true
		}
		if e.sFull {
			m.slots[e.sFrame] &^= sb
		}
		if cls == bpfvm.ClassSTX {
			*regs |= bit(in.Src)
		}
		return true
	}
	// jumps
	switch {
	case isCall:
		if *regs&argRegs != 0 {
			return false
		}
		*regs &^= 1
		return true
	case isExit:
		return true
	}
	switch in.Op & 0xf0 {
	case bpfvm.JmpJA, bpfvm.JmpJCOND:
		return true
	}
	needed := *regs&bit(in.Dst) != 0 || in.Op&bpfvm.SrcX != 0 && *regs&bit(in.Src) != 0
	var hs []linkHolder
	if e.link > 0 && int(e.link) <= len(v.links) {
		hs = v.links[e.link-1]
		for _, h := range hs {
			if int(h.frame) >= bpfvm.MaxCallFrames {
				continue
			}
			if h.slot < 0 && m.regs[h.frame]&(1<<uint(h.reg)) != 0 || h.slot >= 0 && m.slots[h.frame]&(1<<uint(h.slot)) != 0 {
				needed = true
			}
		}
	}
	if !needed {
		return true
	}
	// the refinement of one operand came from the other, and reached
	// every scalar linked with them
	*regs |= bit(in.Dst)
	if in.Op&bpfvm.SrcX != 0 {
		*regs |= bit(in.Src)
	}
	for _, h := range hs {
		if int(h.frame) >= bpfvm.MaxCallFrames {
			continue
		}
		if h.slot < 0 {
			m.regs[h.frame] |= 1 << uint(h.reg)
		} else {
			m.slots[h.frame] |= 1 << uint(h.slot)
		}
	}
	return true
}

// propagatePrecision gives a path pruned by the complete checkpoint old
// the needs of old's future: old's precise live registers and read slots
// are needed from st on (propagate_precision).
func (v *verifier) propagatePrecision(old *checkpoint, st *vstate, live []uint16) {
	var m btMasks
	for fi, f := range old.st.frames {
		if fi >= bpfvm.MaxCallFrames || fi >= len(st.frames) {
			break
		}
		for r := 0; r < 10; r++ {
			if fi < len(live) && live[fi]&(1<<uint(r)) == 0 {
				continue
			}
			if x := &f.regs[r]; x.typ == scalarValue && x.precise {
				m.regs[fi] |= 1 << uint(r)
			}
		}
		for s := range f.stack {
			if s < 64 && old.read[fi]&(1<<uint(s)) != 0 && f.stack[s].isSpill() && f.stack[s].spill.typ == scalarValue && f.stack[s].spill.precise {
				m.slots[fi] |= 1 << uint(s)
			}
		}
	}
	if m.empty() {
		return
	}
	// the pruned state's own registers are where the needs start
	v.backtrack(st, &m, false)
}
