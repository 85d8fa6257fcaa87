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
	entryPC  uint64 // where to enter
	exitPC   uint64 // the instruction the code exited at
	exitCode uint64 // why (exit* below)
	memBase  uint64 // linear memory base
	lim      [4]uint64
	spill    [2]uint64
	nat      uint64        // 1: native helpers may run (no cost limit to check)
	natMap   uint64        // 1: and native map lookups (the CPU is inside the VM)
	cpu      uint64        // Context.CPU
	mem      *bpfvm.Memory // whose bounds memBase and lim hold
	// what nat, natMap and cpu were computed from (Engine.state)
	costLimit uint64
	ncpu      int
}

// Offsets into state, Context and Frame used by the generated code.
const (
	stCtx      = int32(unsafe.Offsetof(state{}.ctx))
	stBudget   = int32(unsafe.Offsetof(state{}.budget))
	stEntryPC  = int32(unsafe.Offsetof(state{}.entryPC))
	stExitPC   = int32(unsafe.Offsetof(state{}.exitPC))
	stExitCode = int32(unsafe.Offsetof(state{}.exitCode))
	stMemBase  = int32(unsafe.Offsetof(state{}.memBase))
	stLim      = int32(unsafe.Offsetof(state{}.lim))
	stSpill    = int32(unsafe.Offsetof(state{}.spill))
	stNat      = int32(unsafe.Offsetof(state{}.nat))
	stNatMap   = int32(unsafe.Offsetof(state{}.natMap))
	stCPU      = int32(unsafe.Offsetof(state{}.cpu))

	ixSlots  = int32(unsafe.Offsetof(bpfvm.HashIndex{}.Slots))
	ixShift  = int32(unsafe.Offsetof(bpfvm.HashIndex{}.Shift))
	ixMask16 = int32(unsafe.Offsetof(bpfvm.HashIndex{}.Mask16))

	cxRegs   = int32(unsafe.Offsetof(bpfvm.Context{}.Regs))
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

// Exit codes: why the generated code returned to Go (see doc.go).
const (
	exitExit   = 1 // the frame at depth Base executed EXIT
	exitCall   = 2 // a helper or kfunc call at exitPC
	exitBudget = 3 // the block at exitPC does not fit in the budget
	exitStep   = 4 // the interpreter executes the instruction at exitPC
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
	entry  uintptr
	leader []bool // instructions at which Go may enter (block starts), n+1
	size   int    // bytes of machine code
	keep   []any  // Go objects whose addresses the code holds (hash indexes)
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
	pos    []int // native offset of each pc's code (n+1)
	jumps  []struct{ at, pc int }
	stubs  []stub
	// stubIdx finds the stub of an exit (pc, code, addback)
	stubIdx map[[3]int]int
	// the program never writes r10: stack accesses through it with a
	// constant offset inside the frame need no bounds check
	stackSafe bool
	// the BPF registers the generated code may change (bit r): the exit
	// stores only these back into Context.Regs, the others still hold
	// what the prologue loaded (regsWritten)
	written    uint16
	k, j       int // current block length, index of the current instruction in it
	pc         int
	commonExit int
	tableAt    []int // lea displacements to patch with the table's address
	r1Map      int   // the map the last LD_IMM64 into r1 loaded, or -1 (lower_native.go)
	progIdx    int   // the program's index in VM.Programs, -1 if none, -2 before lowerLock looks
	keep       []any
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
}

// regsWritten is the set of BPF registers (bit r) whose host registers
// the generated code of in may change, generously: a division borrows r0
// and r3, an atomic any register, a helper or kfunc call r0..r6 (Go
// writes r0; native lookups borrow r6), a bpf-to-bpf call or callx
// changes r6..r10 in the callee and restores them at its exit. The
// instructions the interpreter executes (not valid) change Context.Regs,
// which the next entry loads.
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
			return 1<<7 - 1
		}
	}
	return 0
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
	c := &compiler{vm: vm, p: p, n: len(p.Insns), r1Map: -1, progIdx: -2}
	c.analyse()
	c.pos = make([]int, c.n+1)
	for i := range c.pos {
		c.pos[i] = -1
	}
	c.prologue()
	for i := 0; i < c.n; i = c.next(i) {
		c.pc = i
		if c.leader[i] {
			c.pos[i] = c.a.len()
			c.blockStart(i)
		} else {
			c.j++
		}
		c.lower(i)
		if c.valid[i] {
			c.trackR1(c.p.Insns[i])
		}
	}
	// the end sentinel: the interpreter reports leaving the program
	c.pc = c.n
	c.pos[c.n] = c.a.len()
	c.blockStart(c.n)
	c.exitTo(exitStep, c.a.jmp())
	// wild jumps into the second slot of a 64-bit load
	for i := 1; i < c.n; i++ {
		if c.pos[i] < 0 && c.leader[i] {
			c.pc = i
			c.pos[i] = c.a.len()
			c.blockStart(i)
			c.exitTo(exitStep, c.a.jmp())
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
	for i := 0; i <= c.n; i++ {
		off := 0
		if c.pos[i] >= 0 {
			off = c.pos[i] - table
		}
		c.a.u32(uint32(int32(off)))
	}
	for _, at := range c.tableAt {
		c.a.patch(at, table)
	}
	x, err := newExecMem(c.a.b)
	if err != nil {
		return nil, fmt.Errorf("jit: %s: %w", p.Name, err)
	}
	cd := &code{exec: x, entry: x.addr(), leader: c.leader, size: table, keep: c.keep, refAt: make([]int32, c.n)}
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
	cd.took = time.Since(t0) // wall clock: display only
	return cd, nil           // wall clock: display only
}

// blockStart emits the budget check of the block starting at i.
func (c *compiler) blockStart(i int) {
	c.k, c.j = c.blockN[i], 0
	c.a.aluRI(aluSub, true, regBudget, int32(c.k))
	c.stubAt(exitBudget, c.a.jcc(ccB), c.k)
}

// exitTo makes the jump displacement at at reach an exit with code for
// the current instruction, which has not executed.
func (c *compiler) exitTo(code int, at int) { c.stubAt(code, at, c.k-c.j) }

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
}

// prologue: the entry from the trampoline. Load the BPF registers and the
// budget, then jump to the entry instruction through the table.
func (c *compiler) prologue() {
	a := &c.a
	// rbp (BPF r10) is saved by the trampoline
	a.rm(0, true, []byte{0x8b}, tmp, m(regState, stCtx), false)
	for r := 0; r <= 10; r++ {
		a.load(8, regMap[r], m(tmp, cxRegs+int32(8*r)))
	}
	a.load(8, regBudget, m(regState, stBudget))
	a.load(8, tmpC, m(regState, stEntryPC))
	// instruction 0 (a call's start) follows: no table jump to it
	a.testRR(true, tmpC, tmpC)
	at := a.jcc(ccE)
	c.tableJump()
	a.patch(at, a.len())
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

// emitExits emits the exit stubs and the common exit: store the BPF
// registers and the budget, return to the trampoline.
func (c *compiler) emitExits() {
	a := &c.a
	var toCommon []int
	for _, s := range c.stubs {
		for _, at := range s.at {
			a.patch(at, a.len())
		}
		a.storeI(8, m(regState, stExitPC), int32(s.pc))
		a.storeI(8, m(regState, stExitCode), int32(s.code))
		if s.addback != 0 {
			a.aluRI(aluAdd, true, regBudget, int32(s.addback))
		}
		toCommon = append(toCommon, a.jmp())
	}
	c.commonExit = a.len()
	for _, at := range toCommon {
		a.patch(at, c.commonExit)
	}
	a.load(8, tmp, m(regState, stCtx))
	for r := 0; r <= 10; r++ {
		if c.written&(1<<r) != 0 {
			a.store(8, m(tmp, cxRegs+int32(8*r)), regMap[r])
		}
	}
	a.store(8, m(regState, stBudget), regBudget)
	a.ret()
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
		c.lowerALU(in)
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
