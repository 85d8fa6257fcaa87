package jit

import (
	"math/bits"

	"github.com/schedsim/schedsim/bpfvm"
)

var sizeBytes = [4]int{bpfvm.SizeW >> 3: 4, bpfvm.SizeH >> 3: 2, bpfvm.SizeB >> 3: 1, bpfvm.SizeDW >> 3: 8}

func log2Size(n int) int32 {
	switch n {
	case 1:
		return 0
	case 2:
		return 1
	case 4:
		return 2
	}
	return 3
}

// check emits the bounds check of an access of size bytes at BPF register
// base + off, as the interpreter's: (base + off - memBase) > memSize - size
// faults, through the interpreter, at this instruction. Within a block
// (straight-line code, entered only at its start) checks are shared
// (compiler.span): the first access through a register checks, once, every
// access the block makes through it before the register changes, so the
// later ones need none. When that wider check fails, the code exits to the
// interpreter at the first access, which runs to the end of the block with
// its own checks: faults keep their instruction and message. No check is
// needed for
//
//   - accesses through r10 inside its frame when the program never writes
//     r10: the frame lies inside the linear memory;
//   - accesses at an address known when the code is made (a register
//     loaded in this block by LD_IMM64, such as a map value's address) that
//     lies inside the VM's memory, whose bounds never change (its map
//     addresses are constants in the code too).
func (c *compiler) check(base uint8, off int16, size int) {
	if base == 10 && c.stackSafe && int(off) >= -frameBytes && int(off)+size <= 0 {
		return
	}
	if k := &c.known[base&15]; k.ok && k.stack {
		if v := int64(k.v) + int64(off); v >= -frameBytes && v+int64(size) <= 0 {
			return
		}
	} else if k.ok && c.vm != nil && c.vm.Mem != nil {
		// both ends of the range inside, with no wrap between them
		mem := c.vm.Mem
		lo := k.v + uint64(int64(off))
		if lo-mem.Base() <= mem.Size()-uint64(size) && lo+k.span-mem.Base() <= mem.Size()-uint64(size) && lo+k.span >= lo {
			return
		}
	}
	if sp := &c.spans[base&15]; sp.ok && !sp.null && int(off) >= sp.lo && int(off)+size <= sp.hi {
		return
	}
	lo, hi := c.span(base)
	c.spans[base&15] = checked{ok: true, lo: lo, hi: hi}
	a := &c.a
	if hi-lo > 8 {
		// two ends: lo inside, then hi-8 (no wrap: lo - memBase is
		// below memSize once the first compare passes)
		a.lea(tmp, m(regMap[base], int32(lo)))
		a.aluRM(aluSub, true, tmp, m(regState, stMemBase))
		a.aluRM(aluCmp, true, tmp, m(regState, stLim))
		c.exitTo(exitStep, a.jcc(ccA))
		a.aluRI(aluAdd, true, tmp, int32(hi-8-lo))
		a.aluRM(aluCmp, true, tmp, m(regState, stLim+8*3))
		c.exitTo(exitStep, a.jcc(ccA))
		return
	}
	// one compare, for the smallest access size covering [lo, hi)
	// (stricter than needed when hi - lo is not a power of two)
	n := 1
	for n < hi-lo {
		n *= 2
	}
	if lo == 0 {
		a.movRR(true, tmp, regMap[base])
	} else {
		a.lea(tmp, m(regMap[base], int32(lo)))
	}
	a.aluRM(aluSub, true, tmp, m(regState, stMemBase))
	a.aluRM(aluCmp, true, tmp, m(regState, stLim+8*log2Size(n)))
	c.exitTo(exitStep, a.jcc(ccA))
}

// checked is the range of offsets [lo, hi) from a register that the
// current block has checked (compiler.spans), or what it holds (known).
type checked struct {
	ok     bool
	lo, hi int
	// the register may be 0 instead (a map lookup's result before its
	// test against 0)
	null bool
}

// constReg is a register's value when known (compiler.known): a
// constant, or (stack) r10 + v in a program that never writes r10, or
// (span > 0, never stack) a value in [v, v+span] (no wrap: v+span does
// not overflow), as an AND with a constant mask, shifts and additions
// bound an index into a map value.
type constReg struct {
	ok, stack bool
	v         uint64
	span      uint64
}

// exact reports whether k is a known constant (not a range, not r10 + v).
func (k constReg) exact() bool { return k.ok && !k.stack && k.span == 0 }

// bounded returns [lo, lo+span] as a fact, or nothing if lo+span wraps.
func bounded(lo, span uint64) constReg {
	if lo+span < lo {
		return constReg{}
	}
	return constReg{ok: true, v: lo, span: span}
}

// track returns what the block knows of in's destination after in, from
// what it knew before: LD_IMM64's value, a constant moved in, r10 or a
// known register copied, a constant added; and ranges: a 32-bit move, an
// AND with a mask, shifts by a constant, additions that cannot wrap.
func (c *compiler) track(in bpfvm.Insn) constReg {
	if c.loaded.ok {
		return c.loaded
	}
	if in.Off != 0 {
		return constReg{}
	}
	d := c.known[in.Dst&15]
	if d.stack && in.Op != bpfvm.ClassALU64|bpfvm.SrcK|bpfvm.AluADD {
		d = constReg{} // r10 + v: only += imm keeps it
	}
	imm := uint64(int64(in.Imm))
	switch in.Op {
	case bpfvm.ClassALU64 | bpfvm.SrcK | bpfvm.AluMOV:
		return constReg{ok: true, v: imm}
	case bpfvm.ClassALU | bpfvm.SrcK | bpfvm.AluMOV:
		return constReg{ok: true, v: uint64(uint32(in.Imm))}
	case bpfvm.ClassALU64 | bpfvm.SrcX | bpfvm.AluMOV:
		if in.Src == 10 && c.stackSafe {
			return constReg{ok: true, stack: true}
		}
		if in.Src < 10 {
			return c.known[in.Src]
		}
	case bpfvm.ClassALU | bpfvm.SrcX | bpfvm.AluMOV:
		if k := c.known[in.Src&15]; k.ok && !k.stack && k.v+k.span <= 1<<32-1 {
			return k
		}
		return bounded(0, 1<<32-1)
	case bpfvm.ClassALU64 | bpfvm.SrcK | bpfvm.AluADD:
		if d.ok && d.span == 0 {
			d.v += imm // a constant or r10 + v: exact, wrapping as BPF does
			return d
		}
		if d.ok {
			return bounded(d.v+imm, d.span)
		}
	case bpfvm.ClassALU64 | bpfvm.SrcX | bpfvm.AluADD:
		if k := c.known[in.Src&15]; d.ok && k.ok && !k.stack && in.Src < 10 {
			if d.v+d.span < d.v || k.v+k.span < k.v || d.v+d.span+k.v+k.span < d.v+d.span {
				return constReg{} // may wrap
			}
			return bounded(d.v+k.v, d.span+k.span)
		}
	case bpfvm.ClassALU64 | bpfvm.SrcK | bpfvm.AluAND:
		if d.exact() {
			return constReg{ok: true, v: d.v & imm}
		}
		if in.Imm >= 0 {
			return bounded(0, imm)
		}
	case bpfvm.ClassALU | bpfvm.SrcK | bpfvm.AluAND:
		if d.exact() {
			return constReg{ok: true, v: uint64(uint32(d.v) & uint32(in.Imm))}
		}
		return bounded(0, uint64(uint32(in.Imm)))
	case bpfvm.ClassALU64 | bpfvm.SrcK | bpfvm.AluLSH, bpfvm.ClassALU | bpfvm.SrcK | bpfvm.AluLSH:
		n, top := uint(in.Imm)&63, uint64(1<<64-1)
		if in.Op&0x07 == bpfvm.ClassALU {
			n, top = uint(in.Imm)&31, 1<<32-1
		}
		if d.ok && d.v+d.span <= top>>n {
			return constReg{ok: true, v: d.v << n, span: d.span << n}
		}
	case bpfvm.ClassALU64 | bpfvm.SrcK | bpfvm.AluRSH:
		n := uint(in.Imm) & 63
		if d.ok {
			return constReg{ok: true, v: d.v >> n, span: (d.v+d.span)>>n - d.v>>n}
		}
		if n > 0 {
			return bounded(0, 1<<(64-n)-1)
		}
	}
	return constReg{}
}

// span returns the offsets [lo, hi) from register base that the accesses
// of the current block make through it, from the current instruction on,
// until an instruction changes it (included: it accesses before it
// writes) or the block ends.
func (c *compiler) span(base uint8) (lo, hi int) {
	lo, hi = 1<<30, -1<<30
	for i := c.pc; i < c.n && (i == c.pc || !c.leader[i]) && c.valid[i]; i = c.next(i) {
		in := c.p.Insns[i]
		r := uint8(255)
		switch in.Class() {
		case bpfvm.ClassLDX:
			r = in.Src
		case bpfvm.ClassST, bpfvm.ClassSTX:
			r = in.Dst
		}
		if r == base {
			size := sizeBytes[(in.Op>>3)&3]
			lo, hi = min(lo, int(in.Off)), max(hi, int(in.Off)+size)
		}
		if regsWritten(in)&(1<<(base&15)) != 0 || in.Class() == bpfvm.ClassJMP || in.Class() == bpfvm.ClassJMP32 {
			break
		}
	}
	return lo, hi
}

// forget drops what the block knows of the registers in w (a set of bits).
func (c *compiler) forget(w uint16) {
	for ; w != 0; w &= w - 1 {
		r := bits.TrailingZeros16(w)
		c.spans[r], c.known[r] = checked{}, constReg{}
	}
}

// lowerMem emits LDX, ST and STX (atomics included). BPF addresses are
// host addresses inside the linear memory, so a checked access uses them
// directly.
func (c *compiler) lowerMem(in bpfvm.Insn) {
	a := &c.a
	size := sizeBytes[(in.Op>>3)&3]
	switch in.Class() {
	case bpfvm.ClassLDX:
		c.check(in.Src, in.Off, size)
		mm := m(regMap[in.Src], int32(in.Off))
		if in.Op&0xe0 == bpfvm.ModeMEMSX {
			a.loadSX(size, regMap[in.Dst], mm)
		} else {
			a.load(size, regMap[in.Dst], mm)
		}
	case bpfvm.ClassST:
		c.check(in.Dst, in.Off, size)
		a.storeI(size, m(regMap[in.Dst], int32(in.Off)), in.Imm)
	case bpfvm.ClassSTX:
		c.check(in.Dst, in.Off, size)
		if in.Op&0xe0 == bpfvm.ModeATOMIC {
			c.lowerAtomic(in, size == 8)
			return
		}
		a.store(size, m(regMap[in.Dst], int32(in.Off)), regMap[in.Src])
	}
}

// lowerAtomic emits the atomic operations, all lock-prefixed: add/or/and/
// xor on memory, fetch_add by xadd, fetch_or/and/xor by a cmpxchg loop,
// xchg, and cmpxchg against r0 (rax).
func (c *compiler) lowerAtomic(in bpfvm.Insn, w bool) {
	a := &c.a
	a.lea(tmp, m(regMap[in.Dst], int32(in.Off)))
	at := m(tmp, 0)
	s := regMap[in.Src]
	op := aluOf(uint8(in.Imm &^ bpfvm.AtomicFETCH))
	switch in.Imm {
	case bpfvm.AtomicADD, bpfvm.AtomicOR, bpfvm.AtomicAND, bpfvm.AtomicXOR:
		a.lockAluMR(op, w, at, s)
	case bpfvm.AtomicADD | bpfvm.AtomicFETCH:
		a.lockXadd(w, at, s)
		if !w {
			a.movRR(false, s, s)
		}
	case bpfvm.AtomicXCHG:
		a.lockXchg(w, at, s)
		if !w {
			a.movRR(false, s, s)
		}
	case bpfvm.AtomicCMPXCHG:
		a.lockCmpxchg(w, at, s)
		if !w {
			a.movRR(false, rax, rax)
		}
	default: // fetch_or, fetch_and, fetch_xor
		a.store(8, m(regState, stSpill), rax)
		a.store(8, m(regState, stSpill+8), s)
		a.load(sizeOf(w), rax, at)
		loop := a.len()
		a.movRR(true, tmpC, rax)
		a.aluRM(op, w, tmpC, m(regState, stSpill+8))
		a.lockCmpxchg(w, at, tmpC)
		a.patch(a.jcc(ccNE), loop)
		a.movRR(w, s, rax)
		if s != rax {
			a.load(8, rax, m(regState, stSpill))
		}
	}
}

func sizeOf(w bool) int {
	if w {
		return 8
	}
	return 4
}

// lowerLd emits LD_IMM64 with its value resolved as the interpreter does;
// forms that cannot execute go through the interpreter, which faults.
func (c *compiler) lowerLd(i int, in bpfvm.Insn) {
	v, ok := c.ldValue(i)
	if !ok {
		c.exitTo(exitStep, c.a.jmp())
		return
	}
	c.a.movRI(regMap[in.Dst], v)
	c.loaded = constReg{ok: true, v: v}
}

// ldValue is the value the LD_IMM64 at i loads, if it can execute.
func (c *compiler) ldValue(i int) (uint64, bool) {
	in := c.p.Insns[i]
	lo, hi := uint32(in.Imm), uint32(c.p.Insns[i+1].Imm)
	v := uint64(lo) | uint64(hi)<<32
	switch in.Src {
	case bpfvm.PseudoMapIdx, bpfvm.PseudoMapIdxValue:
		vm := c.vm
		if vm == nil || in.Imm < 0 || int(in.Imm) >= len(vm.Maps) || vm.Maps[in.Imm] == nil {
			return 0, false
		}
		mp := vm.Maps[in.Imm]
		if in.Src == bpfvm.PseudoMapIdx {
			return mp.Addr(), true
		}
		return mp.ValueAddr(hi)
	case bpfvm.PseudoMapFD, bpfvm.PseudoMapValue:
		return 0, false
	case bpfvm.PseudoFunc:
		t := int64(i) + 1 + int64(in.Imm)
		if t < 0 || t >= int64(c.n) {
			return 0, false
		}
		return bpfvm.FuncPtr(int(t)), true
	}
	return v, true
}

// headFacts finds what the registers hold at every block start on every
// path (a constant, r10 + k, a range; lower_mem.go, track), by iterating
// over the blocks to a fixed point (a worklist in program order), for the
// loop heads: blocks a later block jumps back to, where enterFacts has
// nothing else. Blocks that calls, returns and callbacks enter, and
// instruction 0, start knowing nothing. Only for programs with function
// information (compiler.facts) and a backward jump.
func (c *compiler) headFacts() {
	type blk struct {
		start, last, ft, t int
		seen, dirty, head  bool
		in                 [11]constReg
	}
	nb := 0
	for i := 0; i < c.n; i = c.next(i) {
		if c.leader[i] {
			nb++
		}
	}
	bs := make([]blk, 0, nb)
	at := make([]int32, c.n)
	back := false
	for i := 0; i < c.n; i = c.next(i) {
		if c.leader[i] {
			at[i] = int32(len(bs))
			bs = append(bs, blk{start: i})
		}
		bs[len(bs)-1].last = i
	}
	for k := range bs {
		b := &bs[k]
		ft, t := c.succ(b.last)
		b.ft, b.t = -1, -1
		if nx := c.next(b.last); ft && nx < c.n && c.leader[nx] {
			b.ft = int(at[nx])
		}
		if t >= 0 && t < c.n && c.leader[t] {
			b.t = int(at[t])
			if t <= b.last {
				back, bs[b.t].head = true, true
			}
		}
		if b.start == 0 || c.fresh[b.start] {
			b.seen, b.dirty = true, true // knowing nothing
		}
	}
	if !back {
		return
	}
	join := func(k int, f []constReg) {
		b := &bs[k]
		if b.start == 0 || c.fresh[b.start] {
			return
		}
		if !b.seen {
			b.seen, b.dirty = true, true
			copy(b.in[:], f)
			return
		}
		for r := range b.in {
			if b.in[r].ok && b.in[r] != f[r] {
				b.in[r], b.dirty = constReg{}, true
			}
		}
	}
	saved := c.known
	c.known = [16]constReg{}
	for again := true; again; {
		again = false
		for k := range bs {
			b := &bs[k]
			if !b.dirty {
				continue
			}
			b.dirty = false
			copy(c.known[:], b.in[:])
			for i := b.start; i <= b.last && c.valid[i]; i = c.next(i) {
				in := c.p.Insns[i]
				switch cls := in.Class(); {
				case cls == bpfvm.ClassLDX:
					c.known[in.Dst&15] = constReg{}
					continue
				case cls == bpfvm.ClassST, cls == bpfvm.ClassSTX && in.Op&0xe0 != bpfvm.ModeATOMIC:
					continue
				case cls == bpfvm.ClassJMP || cls == bpfvm.ClassJMP32:
					if in.Op&0xf0 != bpfvm.JmpCALL {
						continue
					}
				}
				c.loaded = constReg{}
				if in.IsLdImm64() {
					if v, ok := c.ldValue(i); ok {
						c.loaded = constReg{ok: true, v: v}
					}
				}
				k := c.track(in)
				c.forgetKnown(regsWritten(in))
				if k.ok {
					c.known[in.Dst&15] = k
				}
			}
			f := c.known[:11]
			if b.ft >= 0 {
				join(b.ft, f)
			}
			if b.t >= 0 {
				join(b.t, f)
				again = again || b.t <= k && bs[b.t].dirty
			}
		}
	}
	c.known, c.loaded = saved, constReg{}
	c.heads = make(map[int][11]constReg)
	for k := range bs {
		if b := &bs[k]; b.head && b.seen && !(b.start == 0 || c.fresh[b.start]) {
			c.heads[b.start] = b.in
		}
	}
}

// forgetKnown drops what is known of the registers in w (a set of bits).
func (c *compiler) forgetKnown(w uint16) {
	for ; w != 0; w &= w - 1 {
		c.known[bits.TrailingZeros16(w)] = constReg{}
	}
}

// facts is what the code knows of the registers at a point, and the
// block that knew it.
type facts struct {
	spans [16]checked
	known [16]constReg
	from  int
}

// passFacts records what the current block knows for its successor at
// leader t.
func (c *compiler) passFacts(t int) {
	if c.facts != nil && !c.lowered && t < c.n && c.leader[t] && !c.fresh[t] {
		c.facts[t] = append(c.facts[t], facts{c.spans, c.known, c.block})
	}
}

// enterFacts sets what the block at leader i knows at its start: what
// every predecessor knew, if all of them lie before it (so not at a loop
// head: what comes back is not known yet); nothing at blocks that calls,
// returns and callbacks enter. Checkpoints that only split a long path
// for the budget (compiler.budgets) are not loop heads.
func (c *compiler) enterFacts(i int) {
	c.spans, c.known = [16]checked{}, [16]constReg{}
	if i >= c.n || c.fresh[i] {
		return
	}
	if c.facts == nil {
		return
	}
	if f, ok := c.meet(i); ok {
		c.spans, c.known = f.spans, f.known
	} else if h, ok := c.heads[i]; ok {
		copy(c.known[:], h[:]) // a loop head: what holds on every path (headFacts)
	}
}

// meet returns what all the predecessors of the block at i knew, if each
// has passed what it knew: as many distinct blocks as it has
// predecessors (compiler.preds; a block may pass twice, by its jump and
// by falling through, to the same leader).
func (c *compiler) meet(i int) (facts, bool) {
	fs := c.facts[i]
	if len(fs) == 0 || len(fs) < c.preds[i] {
		return facts{}, false
	}
	f, n := fs[0], 1
	for k, g := range fs[1:] {
		f = meetFacts(f, g)
		if g.from != fs[k].from {
			n++ // (a block passes its facts in a row)
		}
	}
	return f, n >= c.preds[i]
}

// meetFacts returns what both f and g say.
func meetFacts(f, g facts) facts {
	for r := range f.known {
		if f.known[r] != g.known[r] {
			f.known[r] = constReg{}
		}
		s, t := &f.spans[r], g.spans[r]
		if s.ok && t.ok && max(s.lo, t.lo) < min(s.hi, t.hi) {
			s.lo, s.hi = max(s.lo, t.lo), min(s.hi, t.hi)
			s.null = s.null || t.null
		} else {
			*s = checked{}
		}
	}
	return f
}

// learn updates what the block knows after instruction in.
func (c *compiler) learn(in bpfvm.Insn) {
	k := c.track(in)
	var sp checked
	if in.Op == bpfvm.ClassALU64|bpfvm.SrcX|bpfvm.AluMOV && in.Off == 0 && in.Src < 10 {
		sp = c.spans[in.Src] // a copy
	}
	if in.Op == bpfvm.ClassALU64|bpfvm.SrcK|bpfvm.AluADD && in.Off == 0 {
		// rX += imm: the same bytes, at offsets less imm (not a
		// lookup's result that may be 0: it is no longer 0 or a value)
		if s := c.spans[in.Dst&15]; s.ok && !s.null {
			sp = checked{ok: true, lo: s.lo - int(in.Imm), hi: s.hi - int(in.Imm)}
		}
	}
	c.forget(regsWritten(in))
	if k.ok {
		c.known[in.Dst&15] = k
	}
	if sp.ok {
		c.spans[in.Dst&15] = sp
	}
	if c.callSpan.ok {
		c.spans[0], c.callSpan = c.callSpan, checked{}
	}
}

// nullTest emits the jump to t of "if r == 0" (eq) or "if r != 0" when
// r may be a lookup's result: the path on which r is not 0 knows its
// span.
func (c *compiler) nullTest(cc int, t int, r uint8, eq bool) {
	sp := c.spans[r&15]
	if !sp.ok || !sp.null {
		c.jumpTo(cc, t)
		return
	}
	nn := sp
	nn.null = false
	if eq {
		c.jumpTo(cc, t)
		c.spans[r&15] = nn
		return
	}
	c.spans[r&15] = nn
	c.jumpTo(cc, t)
	c.spans[r&15] = sp
}
