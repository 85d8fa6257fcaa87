package jit

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/schedsim/schedsim/bpfvm"
)

// state is shared by Go and the generated code, which addresses it through
// r12. One per nesting level of Run (a helper may run a callback, which
// enters the JIT again).
type state struct {
	ctx      *bpfvm.Context
	budget   uint64 // instructions left before the quantum or limit ends
	target   uint64 // Context.Insns when the budget is spent
	entryPC  uint64 // where to enter
	exitCode uint64 // why the code exited (exit* below)
	memBase  uint64 // linear memory base
	lim      [4]uint64
	spill    [4]uint64 // [0] divisions, atomics; [1] atomics; [2] graph kfuncs
	nat      uint64    // 1: native helpers may run (no cost limit to check)
	natMap   uint64    // 1: and native map lookups (the CPU is inside the VM)
	cpu      uint64    // Context.CPU
	// the native locks' state (lower_native.go, lowerLock), when nat is
	// 1 and the CPU has one: lockNS = the VM's NativeState, lockCPU = its
	// CPUs[Context.CPU] (addresses: NativeState and its CPUs never move);
	// both 0 otherwise
	lockNS  uint64
	lockCPU uint64
	// &Context.Frames[Depth-1] while code with may_goto runs (its
	// prologues, bpf-to-bpf calls and returns keep it; lowerMayGoto)
	frame uint64
	mem   *bpfvm.Memory // whose bounds memBase and lim hold
	// what nat, natMap and cpu were computed from (Engine.state)
	costLimit uint64
	ncpu      int
}

// Offsets into state, Context and Frame used by the generated code.
const (
	stCtx      = int32(unsafe.Offsetof(state{}.ctx))
	stBudget   = int32(unsafe.Offsetof(state{}.budget))
	stTarget   = int32(unsafe.Offsetof(state{}.target))
	stEntryPC  = int32(unsafe.Offsetof(state{}.entryPC))
	stExitCode = int32(unsafe.Offsetof(state{}.exitCode))
	stMemBase  = int32(unsafe.Offsetof(state{}.memBase))
	stLim      = int32(unsafe.Offsetof(state{}.lim))
	stSpill    = int32(unsafe.Offsetof(state{}.spill))
	stNat      = int32(unsafe.Offsetof(state{}.nat))
	stNatMap   = int32(unsafe.Offsetof(state{}.natMap))
	stCPU      = int32(unsafe.Offsetof(state{}.cpu))
	stLockNS   = int32(unsafe.Offsetof(state{}.lockNS))
	stLockCPU  = int32(unsafe.Offsetof(state{}.lockCPU))
	stFrame    = int32(unsafe.Offsetof(state{}.frame))
	stMem      = int32(unsafe.Offsetof(state{}.mem))

	ixSlots  = int32(unsafe.Offsetof(bpfvm.HashIndex{}.Slots))
	ixShift  = int32(unsafe.Offsetof(bpfvm.HashIndex{}.Shift))
	ixMask16 = int32(unsafe.Offsetof(bpfvm.HashIndex{}.Mask16))

	cxRegs   = int32(unsafe.Offsetof(bpfvm.Context{}.Regs))
	cxInsns  = int32(unsafe.Offsetof(bpfvm.Context{}.Insns))
	cxPC     = int32(unsafe.Offsetof(bpfvm.Context{}.PC))
	cxCost   = int32(unsafe.Offsetof(bpfvm.Context{}.Cost))
	cxDepth  = int32(unsafe.Offsetof(bpfvm.Context{}.Depth))
	cxBase   = int32(unsafe.Offsetof(bpfvm.Context{}.Base))
	cxFrames = int32(unsafe.Offsetof(bpfvm.Context{}.Frames))

	frSize  = int32(unsafe.Sizeof(bpfvm.Frame{}))
	frRetPC = int32(unsafe.Offsetof(bpfvm.Frame{}.RetPC))
	frSaved = int32(unsafe.Offsetof(bpfvm.Frame{}.Saved))
	frFP    = int32(unsafe.Offsetof(bpfvm.Frame{}.FP))
	frLoops = int32(unsafe.Offsetof(bpfvm.Frame{}.Loops))
)

// Exit codes: why the generated code returned to Go (see doc.go). The
// code has stored Context.PC, the instruction it exited at (after an
// EXIT, that EXIT), and Context.Insns.
const (
	exitExit   = 1 // the frame at depth Base executed EXIT (counted, Depth decremented)
	exitCall   = 2 // a helper or kfunc call at Context.PC
	exitBudget = 3 // a path from Context.PC may not fit in the budget
	exitStep   = 4 // the interpreter executes the instruction at Context.PC
)

// regMap maps BPF registers r0..r10 to amd64 registers. rcx and r11 are
// scratch, r10 holds the instruction budget, r12 the state.
var regMap = [11]byte{rax, rdi, rsi, rdx, r9, r8, rbx, r13, r14, r15, rbp}

const (
	regBudget  = r10
	regState   = r12
	tmp        = r11
	tmpC       = rcx
	maxLoops   = bpfvm.MaxLoops
	frameBytes = bpfvm.StackSize
)

// code is the native form of one program.
type code struct {
	exec   *execMem
	entry  uintptr // the prologue entering at state.entryPC
	entry0 uintptr // the prologue entering at instruction 0 (a call's start)
	// no bpf-to-bpf call or callx: run only with Depth == Base (EXIT
	// exits without comparing them)
	noCalls bool
	leader  []bool // instructions at which Go may enter (block starts), n+1
	size    int    // bytes of machine code
	keep    []any  // Go objects whose addresses the code holds (hash indexes)
	// the registry compiled against, and its Gen then (current)
	reg *bpfvm.Registry
	gen uint64
	// each helper or kfunc call's function, resolved at its first call
	// (bpfvm.Context.CallRef): refs[refAt[pc]] for the call at pc
	refAt []int32
	refs  []bpfvm.FuncRef
	took  time.Duration
}

type stub struct {
	at      []int // jump displacements to patch
	pc      int
	code    int
	addback int
}

type compiler struct {
	a      buf
	vm     *bpfvm.VM
	p      *bpfvm.Program
	n      int
	valid  []bool
	leader []bool
	blockN []int // at leaders: instructions in the block
	// at leaders: check the budget here (checkpoint), and the most
	// instructions a path from here executes before the next checkpoint
	// or an exit (see budgets)
	ckpt     []bool
	need     []int
	pend     []int  // at leaders: instructions executed, not yet subtracted
	charges  []bool // at leaders: the block subtracts pend and its own
	entryPos []int  // native offset of a leader's entry stub, or -1
	copyOf   []int  // at a goto: the block copied in its place, or -1 (threadJumps)
	extra    []int  // at leaders: the instructions of the copy the block ends with
	charged  bool   // the current block charges (charges[its start])
	pendIn   int    // the current block's pend
	pos      []int  // native offset of each pc's code (n+1)
	jumps    []struct{ at, pc int }
	stubs    []stub
	// stubIdx finds the stub of an exit (pc, code, addback)
	stubIdx map[[3]int]int
	// the program never writes r10: stack accesses through it with a
	// constant offset inside the frame need no bounds check
	stackSafe bool
	// the BPF registers the generated code may change (bit r): the exit
	// stores only these back into Context.Regs, the others still hold
	// what the prologue loaded (regsWritten)
	written uint16
	// the BPF registers the generated code reads or writes (regsUsed, a
	// superset of written): the prologues load only these, the others are
	// never in a host register (Context.Regs holds them throughout)
	used   uint16
	entry0 int // offset of the prologue that enters at instruction 0
	// no bpf-to-bpf call or callx: Depth never exceeds Base, so EXIT
	// always exits to Go (Engine.runFrom keeps Depth == Base for it)
	noCalls bool
	// the program has may_goto: state.frame is kept
	mayGoto bool
	k, j    int // current block length, index of the current instruction in it
	pc      int
	tableAt []int // lea displacements to patch with the table's address
	r1Map   int   // the map the last LD_IMM64 into r1 loaded, or -1 (lower_native.go)
	// the constant the last write to r1 loaded, if r1Known (lower_native.go)
	r1Imm   uint64
	r1Known bool
	// the records bpf_obj_drop may drop natively (lower_graph.go), once
	drops    []bpfvm.NativeObj
	dropsSet bool
	progIdx  int // the program's index in VM.Programs, -1 if none, -2 before lowerLock looks
	keep     []any
	size     int // bytes of code before the entry table
	// code emitted after the program's (rare paths), each jumping back
	cold  []func()
	marks []mark // addrMap only
	// what the current block knows (lower_mem.go, check): the offsets
	// it has checked from each register, the registers it has loaded
	// with a constant
	spans    [16]checked
	preds    []int                // at leaders: the blocks that fall through or jump to it
	fallInto []bool               // at leaders: the block before falls through to it
	fresh    []bool               // entered by a call, a return or as a callback: nothing known
	facts    map[int][]facts      // what each lowered predecessor knew, by leader
	block    int                  // the start of the block being lowered
	heads    map[int][11]constReg // at block starts: what holds on every path (headFacts)
	lowered  bool                 // the program's blocks are lowered
	// the instruction the previous one's code already did (lowerFused)
	fused    int
	known    [16]constReg
	loaded   constReg // set by lowerLd: the value it loaded
	callSpan checked  // set by a native lookup: what r0 points to, or 0
}

// next returns the index after instruction i.
func (c *compiler) next(i int) int {
	if c.valid[i] && c.p.Insns[i].IsLdImm64() {
		return i + 2
	}
	return i + 1
}

// target clips a jump destination to the end sentinel as the interpreter
// does.
func (c *compiler) target(i int, rel int64) int {
	t := int64(i) + 1 + rel
	if t < 0 || t >= int64(c.n) {
		return c.n
	}
	return int(t)
}

func isCallX(in bpfvm.Insn) bool { return in.Op == bpfvm.ClassJMP|bpfvm.SrcX|bpfvm.JmpCALL }

// analyse finds block leaders and sizes.
func (c *compiler) analyse() {
	p, n := c.p, c.n
	c.valid = make([]bool, n)
	c.leader = make([]bool, n+1)
	c.blockN = make([]int, n+1)
	c.stackSafe = true
	for i := range n {
		c.valid[i] = bpfvm.ValidInsn(p.Insns, i)
	}
	c.leader[0] = true
	c.leader[n] = true
	c.noCalls = true
	for _, in := range p.Insns { // every slot: the interpreter may execute any
		if cls := in.Class(); (cls == bpfvm.ClassJMP || cls == bpfvm.ClassJMP32) && in.Op&0xf0 == bpfvm.JmpCALL && (in.Src == bpfvm.CallLocal || isCallX(in)) {
			c.noCalls = false
		}
		if cls := in.Class(); (cls == bpfvm.ClassJMP || cls == bpfvm.ClassJMP32) && in.Op&0xf0 == bpfvm.JmpJCOND {
			c.mayGoto = true
		}
	}
	for _, f := range p.Funcs {
		if f.Start >= 0 && f.Start < n {
			c.leader[f.Start] = true
		}
	}
	for i := 0; i < n; i = c.next(i) {
		in := p.Insns[i]
		nx := c.next(i)
		if !c.valid[i] {
			if nx <= n {
				c.leader[nx] = true
			}
			continue
		}
		if writesR10(in) {
			c.stackSafe = false
		}
		c.written |= regsWritten(in)
		c.used |= regsUsed(in)
		cls := in.Class()
		if in.IsLdImm64() && in.Src == bpfvm.PseudoFunc {
			c.leader[c.target(i, int64(in.Imm))] = true
		}
		if cls != bpfvm.ClassJMP && cls != bpfvm.ClassJMP32 {
			continue
		}
		op := in.Op & 0xf0
		switch {
		case op == bpfvm.JmpCALL && in.Src == bpfvm.CallLocal && !isCallX(in):
			c.leader[c.target(i, int64(in.Imm))] = true
		case op == bpfvm.JmpCALL:
			c.leader[i] = true
		case op == bpfvm.JmpEXIT:
		case op == bpfvm.JmpJA && cls == bpfvm.ClassJMP32:
			c.leader[c.target(i, int64(in.Imm))] = true
		default:
			c.leader[c.target(i, int64(in.Off))] = true
		}
		c.leader[nx] = true
	}
	// block sizes; a leader that is the second slot of a 64-bit load is
	// entered only by a wild jump and becomes a one-instruction block out
	// of line
	cur := -1
	for i := 0; i < n; i = c.next(i) {
		if c.leader[i] {
			cur = i
		}
		c.blockN[cur]++
		if c.valid[i] && p.Insns[i].IsLdImm64() && i+1 < n && c.leader[i+1] {
			c.blockN[i+1] = 1
		}
	}
	c.blockN[n] = 1
	c.budgets()
}

// block is a basic block (compiler.budgets): its start, last instruction,
// whether it falls through to the next leader, its jump target in the code
// (or -1).
type block struct {
	start, last int
	ft          bool
	t           int
}

// maxNeed bounds the instructions a checkpoint checks for: when the
// budget is short of a checkpoint's need, the interpreter runs the rest of
// the quantum, so a large need would hand short quanta to it.
const maxNeed = 32

// budgets decides where the generated code counts instructions and checks
// the budget (register r10, the instructions left):
//
//   - Checkpoints compare the budget with need, the most instructions any
//     path from there executes before it reaches the next checkpoint or
//     leaves the code (an exit ends a path: Go re-enters through the entry
//     table, whose entries at other blocks check their need first).
//     Checkpoints: instruction 0, subprogram starts and call targets, the
//     targets of backward jumps (so every loop has one), the end sentinel
//     and wild jumps' blocks, and a block's successors when its need would
//     exceed maxNeed. Every other successor of a block lies after it, so
//     need is computed in one backward pass.
//   - Counting is deferred along paths: a block subtracts (charges) the
//     instructions executed since the last charge only when one of its
//     successors is a checkpoint or is reached from more than one block
//     (or it has none in the code); the others pass their count on
//     (pend, the instructions executed and not yet subtracted, is the same
//     on every path into a block). Exits add back or subtract the
//     difference (compiler.addback), entry stubs add a block's pend, so
//     Context.Insns is exact wherever the code leaves.
func (c *compiler) budgets() {
	p, n := c.p, c.n
	c.ckpt = make([]bool, n+1)
	c.need = make([]int, n+1)
	c.pend = make([]int, n+1)
	c.charges = make([]bool, n+1)
	c.ckpt[0], c.ckpt[n] = true, true
	c.charges[n] = true
	for _, f := range p.Funcs {
		if f.Start >= 0 && f.Start < n {
			c.ckpt[f.Start] = true
		}
	}
	// the blocks in order
	var bs []block
	for i := 0; i < n; i = c.next(i) {
		if c.leader[i] {
			bs = append(bs, block{start: i})
		}
		bs[len(bs)-1].last = i
		if c.valid[i] && p.Insns[i].IsLdImm64() && i+1 < n && c.leader[i+1] {
			c.ckpt[i+1], c.charges[i+1] = true, true // out of line
			c.need[i+1] = 1
		}
	}
	c.need[n] = 1
	preds := make([]int, n+1)
	for k := range bs {
		b := &bs[k]
		b.ft, b.t = c.succ(b.last)
		if b.ft {
			preds[c.next(b.last)]++
		}
		if b.t >= 0 && (!b.ft || b.t != c.next(b.last)) {
			preds[b.t]++
		}
		if b.t >= 0 && b.t <= b.last {
			c.ckpt[b.t] = true
		}
	}
	for k := len(bs) - 1; k >= 0; k-- {
		b := bs[k]
		most := 0
		if b.ft && !c.ckpt[c.next(b.last)] {
			most = c.need[c.next(b.last)]
		}
		if b.t >= 0 && !c.ckpt[b.t] {
			most = max(most, c.need[b.t])
		}
		if c.blockN[b.start]+most > maxNeed {
			if b.ft {
				c.ckpt[c.next(b.last)] = true
			}
			if b.t >= 0 {
				c.ckpt[b.t] = true
			}
			most = 0
		}
		c.need[b.start] = c.blockN[b.start] + most
	}
	// a block entered only from the one before it (or the one jumping to
	// it) takes its pend; the others start counting afresh
	alone := func(s int) bool { return !c.ckpt[s] && preds[s] == 1 }
	// what a block knows of the registers at its start is what all its
	// predecessors knew at their ends (lower_mem.go, check): known for
	// blocks every predecessor of which lies before it and that no call,
	// return or callback enters
	c.preds = preds
	c.fallInto = make([]bool, n+1)
	c.fresh = make([]bool, n+1)
	for _, b := range bs {
		c.fallInto[c.next(b.last)] = b.ft
	}
	for i := 0; i < n; i = c.next(i) {
		in := p.Insns[i]
		if !c.valid[i] {
			continue
		}
		if in.IsLdImm64() && in.Src == bpfvm.PseudoFunc {
			c.fresh[c.target(i, int64(in.Imm))] = true
		}
		if cls := in.Class(); (cls == bpfvm.ClassJMP || cls == bpfvm.ClassJMP32) && in.Op&0xf0 == bpfvm.JmpCALL && (in.Src == bpfvm.CallLocal || isCallX(in)) {
			c.fresh[c.next(i)] = true
			if !isCallX(in) {
				c.fresh[c.target(i, int64(in.Imm))] = true
			}
		}
	}
	for _, f := range p.Funcs {
		if f.Start >= 0 && f.Start < n {
			c.fresh[f.Start] = true
		}
	}
	// Only in programs with function information: there callx reaches
	// only function starts, and helpers start callbacks only at the
	// functions the program names (the verifier rejects any other
	// callback argument). A raw program may call back or callx any
	// instruction with other registers, so its blocks know only what
	// they compute themselves.
	if len(p.Funcs) > 0 {
		c.facts = make(map[int][]facts)
	}
	for _, b := range bs {
		nx := c.next(b.last)
		ch := !b.ft && b.t < 0 || b.ft && !alone(nx) || b.t >= 0 && !alone(b.t)
		c.charges[b.start] = ch
		out := 0
		if !ch {
			out = c.pend[b.start] + c.blockN[b.start]
		}
		if b.ft {
			c.pend[nx] = out
		}
		if b.t >= 0 {
			c.pend[b.t] = out
		}
	}
	c.threadJumps(bs)
	if c.facts != nil {
		c.headFacts()
	}
}

// maxCopy is the longest block threadJumps copies.
const maxCopy = 4

// threadJumps: a goto to a short block of ALU instructions that ends with
// a goto to a checkpoint (the latch of a loop, after an if/else or a
// switch) copies that block in place of the jump, so the path takes one
// jump instead of two. The copy is counted with the block that jumps
// (which then charges, the latch would have), and cannot exit; the
// original stays for its other predecessors and entries.
func (c *compiler) threadJumps(bs []block) {
	c.copyOf = make([]int, c.n)
	c.extra = make([]int, c.n+1)
	first := make(map[int]int, len(bs)) // block start -> index in bs
	for k, b := range bs {
		first[b.start] = k
	}
	for _, b := range bs {
		c.copyOf[b.last] = -1
		in := c.p.Insns[b.last]
		if b.ft || b.t < 0 || b.t == b.start || c.ckpt[b.t] || !c.valid[b.last] || in.Op&0xf0 != bpfvm.JmpJA ||
			in.Class() != bpfvm.ClassJMP && in.Class() != bpfvm.ClassJMP32 {
			continue
		}
		k, ok := first[b.t]
		if !ok {
			continue
		}
		t := bs[k]
		if t.ft || t.t < 0 || !c.ckpt[t.t] || c.blockN[t.start] > maxCopy || t.last == b.last {
			continue
		}
		copyable := true
		for i := t.start; i < t.last; i = c.next(i) {
			if cls := c.p.Insns[i].Class(); !c.valid[i] || cls != bpfvm.ClassALU && cls != bpfvm.ClassALU64 {
				copyable = false
			}
		}
		if !copyable {
			continue
		}
		c.copyOf[b.last] = t.start
		c.preds[t.t]++ // the copy's jump (what b knows passes there)
		c.extra[b.start] = c.blockN[t.start]
		c.charges[b.start] = true
	}
}

// succ returns the successors in the code of the block whose last
// instruction is l: whether it falls through to the next leader, and the
// target of its jump or call (-1: none). Exits, returns and callx have
// none (the code leaves, or returns through the entry table).
func (c *compiler) succ(l int) (ft bool, t int) {
	in := c.p.Insns[l]
	if !c.valid[l] {
		return false, -1
	}
	switch cls := in.Class(); {
	case cls == bpfvm.ClassLD && !in.IsLdImm64():
		return false, -1 // exits to the interpreter
	case cls == bpfvm.ClassJMP || cls == bpfvm.ClassJMP32:
		switch op := in.Op & 0xf0; {
		case op == bpfvm.JmpEXIT:
			return false, -1
		case op == bpfvm.JmpCALL && isCallX(in):
			return false, -1
		case op == bpfvm.JmpCALL && in.Src == bpfvm.CallLocal:
			t := c.target(l, int64(in.Imm))
			if t == c.n {
				return false, -1 // faults
			}
			c.ckpt[t] = true
			return false, t // returns through the entry table
		case op == bpfvm.JmpCALL:
			return true, -1
		case op == bpfvm.JmpJA && cls == bpfvm.ClassJMP32:
			return false, c.target(l, int64(in.Imm))
		case op == bpfvm.JmpJA:
			return false, c.target(l, int64(in.Off))
		default: // conditional jumps, may_goto
			return true, c.target(l, int64(in.Off))
		}
	}
	return true, -1
}

// regsWritten is the set of BPF registers (bit r) whose host registers
// the generated code of in may change, generously: a division borrows r0
// and r3, an atomic any register, a helper or kfunc call r0 (Go writes
// r0 and leaves Context.Regs[1..5] as they are, as the interpreter does;
// native lookups borrow r6 and restore it before any exit), a
// bpf-to-bpf call or callx changes r6..r10 in the callee and restores
// them at its exit. The instructions the interpreter executes (not
// valid) change Context.Regs, which the next entry loads.
func regsWritten(in bpfvm.Insn) uint16 {
	const all = 1<<11 - 1
	dst := uint16(1) << (in.Dst & 15)
	switch in.Class() {
	case bpfvm.ClassALU, bpfvm.ClassALU64:
		if op := in.Op & 0xf0; op == bpfvm.AluDIV || op == bpfvm.AluMOD {
			return dst | 1<<0 | 1<<3
		}
		return dst
	case bpfvm.ClassLDX, bpfvm.ClassLD:
		return dst
	case bpfvm.ClassSTX:
		if in.Op&0xe0 == bpfvm.ModeATOMIC {
			return all
		}
	case bpfvm.ClassJMP, bpfvm.ClassJMP32:
		if in.Op&0xf0 == bpfvm.JmpCALL || isCallX(in) {
			if in.Src == bpfvm.CallLocal || isCallX(in) {
				return all
			}
			return 1 << 0
		}
	}
	return 0
}

// regsUsed is the set of BPF registers (bit r) whose host registers the
// generated code of in may read or write, generously: regsWritten, the
// destination, and the source of the classes where it names a register.
func regsUsed(in bpfvm.Insn) uint16 {
	u := regsWritten(in) | 1<<(in.Dst&15)
	switch in.Class() {
	case bpfvm.ClassALU, bpfvm.ClassALU64, bpfvm.ClassJMP, bpfvm.ClassJMP32:
		if in.Op&bpfvm.SrcX != 0 {
			u |= 1 << (in.Src & 15)
		}
		if in.Op&0xf0 == bpfvm.JmpCALL && in.Class() != bpfvm.ClassALU && in.Class() != bpfvm.ClassALU64 {
			// a native lookup reads r1 and r2 (lower_native.go); Go
			// reads a call's arguments from Context.Regs
			u |= 1<<1 | 1<<2
		}
	case bpfvm.ClassLDX, bpfvm.ClassSTX:
		u |= 1 << (in.Src & 15)
	}
	return u & (1<<11 - 1)
}

// writesR10 reports whether in may change r10 (the verifier rejects that;
// the interpreter executes it).
func writesR10(in bpfvm.Insn) bool {
	switch in.Class() {
	case bpfvm.ClassALU, bpfvm.ClassALU64, bpfvm.ClassLDX, bpfvm.ClassLD:
		return in.Dst == 10
	case bpfvm.ClassSTX:
		return in.Op&0xe0 == bpfvm.ModeATOMIC && (in.Imm&bpfvm.AtomicFETCH != 0 && in.Src == 10)
	}
	return false
}

// Compile translates p for vm into native code.
func compile(vm *bpfvm.VM, p *bpfvm.Program) (*code, error) {
	t0 := time.Now() // wall clock: display only
	if len(p.Insns) == 0 {
		return nil, fmt.Errorf("jit: %s has no instructions", p.Name)
	}
	c := &compiler{vm: vm, p: p, n: len(p.Insns), r1Map: -1, progIdx: -2, fused: -1}
	b, _ := c.assemble()
	x, err := newExecMem(b)
	if err != nil {
		return nil, fmt.Errorf("jit: %s: %w", p.Name, err)
	}
	cd := &code{exec: x, entry: x.addr(), entry0: x.addr() + uintptr(c.entry0), noCalls: c.noCalls, leader: c.leader, size: c.size, keep: c.keep, refAt: make([]int32, c.n)}
	if vm != nil && vm.Registry != nil {
		cd.reg, cd.gen = vm.Registry, vm.Registry.Gen()
	}
	for i := range cd.refAt {
		cd.refAt[i] = -1
		if in := p.Insns[i]; in.Op&0x0f == bpfvm.ClassJMP|bpfvm.SrcK && in.Op&0xf0 == bpfvm.JmpCALL && in.Src != bpfvm.CallLocal {
			cd.refAt[i] = int32(len(cd.refs))
			cd.refs = append(cd.refs, bpfvm.FuncRef{})
		}
	}
	if addrMap.path != "" {
		writeAddrMap(vm, p, x.addr(), c.size, c.marks, b)
	}
	cd.took = time.Since(t0) // wall clock: display only
	return cd, nil           // wall clock: display only
}

// assemble generates the machine code of c.p: the code, then the entry
// table. It returns the bytes and the native offset of each instruction.
func (c *compiler) assemble() ([]byte, []int) {
	c.analyse()
	c.pos = make([]int, c.n+1)
	for i := range c.pos {
		c.pos[i] = -1
	}
	c.mark(-1, 'p')
	c.prologue()
	for i := 0; i < c.n; i = c.next(i) {
		c.pc = i
		c.mark(i, 'i')
		if c.leader[i] {
			if i > 0 && c.fallInto[i] {
				c.passFacts(i)
			}
			c.pos[i] = c.a.len()
			c.blockStart(i)
		} else {
			c.j++
		}
		c.loaded.ok = false
		if i != c.fused {
			c.lower(i)
		}
		if c.valid[i] {
			c.trackR1(i)
			c.learn(c.p.Insns[i])
		}
	}
	for _, f := range c.cold {
		c.mark(-1, 'c')
		f()
	}
	// the end sentinel: the interpreter reports leaving the program
	c.pc = c.n
	c.mark(c.n, 'i')
	c.pos[c.n] = c.a.len()
	c.blockStart(c.n)
	c.exitTo(exitStep, c.a.jmp())
	// wild jumps into the second slot of a 64-bit load
	for i := 1; i < c.n; i++ {
		if c.pos[i] < 0 && c.leader[i] {
			c.pc = i
			c.mark(i, 'i')
			c.pos[i] = c.a.len()
			c.blockStart(i)
			c.exitTo(exitStep, c.a.jmp())
		}
	}
	c.lowered = true // entry stubs' jumps pass no facts
	c.entryPos = make([]int, c.n+1)
	for i := range c.entryPos {
		c.entryPos[i] = -1
		if c.pos[i] >= 0 && c.leader[i] && !c.ckpt[i] {
			c.entryStub(i)
		}
	}
	c.emitExits()
	for _, j := range c.jumps {
		c.a.patch(j.at, c.pos[j.pc])
	}
	// the table of entry points: int32 offsets from the table, per pc
	for c.a.len()%8 != 0 {
		c.a.byte1(0xcc)
	}
	table := c.a.len()
	c.size = table
	c.mark(-1, 't')
	for i := 0; i <= c.n; i++ {
		off := 0
		switch {
		case c.entryPos[i] >= 0:
			off = c.entryPos[i] - table
		case c.pos[i] >= 0:
			off = c.pos[i] - table
		}
		c.a.u32(uint32(int32(off)))
	}
	for _, at := range c.tableAt {
		c.a.patch(at, table)
	}
	return c.a.b, c.pos
}

// blockStart emits the budget check and count of the block starting at i.
func (c *compiler) blockStart(i int) {
	c.enterFacts(i)
	c.block = i
	c.k, c.j = c.blockN[i]+c.extra[i], 0
	c.charged, c.pendIn = c.charges[i], c.pend[i]
	if c.ckpt[i] {
		if c.charged && c.pendIn == 0 && c.need[i] == c.k {
			c.a.aluRI(aluSub, true, regBudget, int32(c.k))
			c.stubAt(exitBudget, c.a.jcc(ccB), c.k)
			return
		}
		c.a.aluRI(aluCmp, true, regBudget, int32(c.need[i]+c.pendIn))
		c.stubAt(exitBudget, c.a.jcc(ccB), -c.pendIn)
	}
	if c.charged {
		c.a.aluRI(aluSub, true, regBudget, int32(c.pendIn+c.k))
	}
}

// addback is what an exit before the current instruction adds to the
// budget to make it exact: the block's instructions counted and not
// executed, less those executed and not counted.
func (c *compiler) addback() int {
	if c.charged {
		return c.k - c.j
	}
	return -(c.pendIn + c.j)
}

// entryStub emits the entry of a block that is not a checkpoint, for the
// entry table: check the block's need, count its pend, jump to it.
func (c *compiler) entryStub(i int) {
	c.pc = i
	c.mark(i, 'e')
	c.entryPos[i] = c.a.len()
	c.a.aluRI(aluCmp, true, regBudget, int32(c.need[i]))
	c.stubAt(exitBudget, c.a.jcc(ccB), 0)
	if c.pend[i] != 0 {
		c.a.aluRI(aluAdd, true, regBudget, int32(c.pend[i]))
	}
	c.jumpTo(-1, i)
}

// exitTo makes the jump displacement at at reach an exit with code for
// the current instruction, which has not executed.
func (c *compiler) exitTo(code int, at int) { c.stubAt(code, at, c.addback()) }

func (c *compiler) stubAt(code, at, addback int) {
	key := [3]int{c.pc, code, addback}
	if k, ok := c.stubIdx[key]; ok {
		c.stubs[k].at = append(c.stubs[k].at, at)
		return
	}
	if c.stubIdx == nil {
		c.stubIdx = make(map[[3]int]int)
	}
	c.stubIdx[key] = len(c.stubs)
	c.stubs = append(c.stubs, stub{at: []int{at}, pc: c.pc, code: code, addback: addback})
}

// jumpTo emits a jump (cc < 0: unconditional) to instruction pc.
func (c *compiler) jumpTo(cc int, pc int) {
	var at int
	if cc < 0 {
		at = c.a.jmp()
	} else {
		at = c.a.jcc(byte(cc))
	}
	c.jumps = append(c.jumps, struct{ at, pc int }{at, pc})
	c.passFacts(pc)
}

// prologue: the entries from the trampoline. Each loads the BPF
// registers the code uses and the budget; the first then jumps to the
// entry instruction st.entryPC through the table, the second (entry0)
// falls through to instruction 0, a call's start.
func (c *compiler) prologue() {
	a := &c.a
	// rbp (BPF r10) is saved by the trampoline
	c.loadRegs(false)
	a.load(8, tmpC, m(regState, stEntryPC))
	c.tableJump()
	c.entry0 = a.len()
	c.loadRegs(true)
}

// loadRegs loads the BPF registers the code uses from Context.Regs and
// the budget from the state, and finds the current frame (state.frame)
// for may_goto: at a call's start (start), Frames[0] (Engine.Run and
// Call1 enter there only with Depth = Base = 1).
func (c *compiler) loadRegs(start bool) {
	a := &c.a
	a.rm(0, true, []byte{0x8b}, tmp, m(regState, stCtx), false)
	for r := 0; r <= 10; r++ {
		if c.used&(1<<r) != 0 {
			a.load(8, regMap[r], m(tmp, cxRegs+int32(8*r)))
		}
	}
	a.load(8, regBudget, m(regState, stBudget))
	if c.mayGoto && start {
		a.lea(tmpC, m(tmp, cxFrames))
		a.store(8, m(regState, stFrame), tmpC)
	} else if c.mayGoto {
		// state.frame = &Frames[Depth-1]
		a.load(8, tmpC, m(tmp, cxDepth))
		a.imulRI(true, tmpC, frSize)
		a.lea(tmpC, mi(tmp, tmpC, 1, cxFrames-frSize))
		a.store(8, m(regState, stFrame), tmpC)
	}
}

// tableJump jumps to the code of the instruction whose index is in rcx.
func (c *compiler) tableJump() {
	a := &c.a
	a.lea(tmp, mem{rip: true})
	c.tableAt = append(c.tableAt, a.len()-4)
	a.loadSX(4, tmpC, mi(tmp, tmpC, 4, 0))
	a.aluRR(aluAdd, true, tmpC, tmp)
	a.jmpR(tmpC)
}

// emitExits emits the exit stubs and the common exit: store the exit
// code, Context.PC and Context.Insns (the state's target less the budget
// left) and the BPF registers the code may have changed, and return to
// the trampoline.
func (c *compiler) emitExits() {
	a := &c.a
	var toExit, toCommon []int
	for _, s := range c.stubs {
		c.mark(s.pc, 'x')
		for _, at := range s.at {
			a.patch(at, a.len())
		}
		a.storeI(8, m(regState, stExitCode), int32(s.code))
		addback := s.addback
		if s.code == exitExit {
			// the EXIT has executed: count it (addback covers the
			// instructions before it, charged block or not)
			addback--
		}
		if addback != 0 {
			a.aluRI(aluAdd, true, regBudget, int32(addback))
		}
		a.movRI(tmpC, uint64(s.pc))
		if s.code == exitExit {
			toExit = append(toExit, a.jmp())
		} else {
			toCommon = append(toCommon, a.jmp())
		}
	}
	// after an EXIT: leave its frame
	c.mark(-1, 'X')
	for _, at := range toExit {
		a.patch(at, a.len())
	}
	a.load(8, tmp, m(regState, stCtx))
	a.aluMI(aluSub, true, m(tmp, cxDepth), 1)
	common := a.jmp()
	for _, at := range toCommon {
		a.patch(at, a.len())
	}
	a.load(8, tmp, m(regState, stCtx))
	a.patch(common, a.len())
	a.store(8, m(tmp, cxPC), tmpC)
	c.exitStores()
}

// exitStores ends an exit, the context in r11 and Context.PC stored:
// store Context.Insns and the registers the code may have changed, and
// return to the trampoline.
func (c *compiler) exitStores() {
	a := &c.a
	a.load(8, tmpC, m(regState, stTarget))
	a.aluRR(aluSub, true, tmpC, regBudget)
	a.store(8, m(tmp, cxInsns), tmpC)
	for r := 0; r <= 10; r++ {
		if c.written&(1<<r) != 0 {
			a.store(8, m(tmp, cxRegs+int32(8*r)), regMap[r])
		}
	}
	a.ret()
}

// exitHere emits the whole exit of the EXIT being lowered where it
// stands, without a stub (a program without calls: its EXITs always
// exit): the exit code, the EXIT counted, its frame left, Context.PC,
// then exitStores.
func (c *compiler) exitHere() {
	a := &c.a
	a.storeI(8, m(regState, stExitCode), exitExit)
	// the EXIT counted too (addback covers the instructions before it)
	if addback := c.addback() - 1; addback != 0 {
		a.aluRI(aluAdd, true, regBudget, int32(addback))
	}
	a.load(8, tmp, m(regState, stCtx))
	a.aluMI(aluSub, true, m(tmp, cxDepth), 1)
	a.storeI(8, m(tmp, cxPC), int32(c.pc))
	c.exitStores()
}

// lower emits instruction i.
func (c *compiler) lower(i int) {
	in := c.p.Insns[i]
	if !c.valid[i] {
		c.exitTo(exitStep, c.a.jmp())
		return
	}
	switch in.Class() {
	case bpfvm.ClassALU, bpfvm.ClassALU64:
		if !c.lowerFused(i, in) {
			c.lowerALU(in)
		}
	case bpfvm.ClassJMP, bpfvm.ClassJMP32:
		c.lowerJump(i, in)
	case bpfvm.ClassLDX, bpfvm.ClassST, bpfvm.ClassSTX:
		c.lowerMem(in)
	case bpfvm.ClassLD:
		if !in.IsLdImm64() { // legacy packet access: faults
			c.exitTo(exitStep, c.a.jmp())
			return
		}
		c.lowerLd(i, in)
	}
}
