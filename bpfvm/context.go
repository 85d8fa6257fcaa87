package bpfvm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cilium/ebpf/btf"
)

// Context is an execution context: registers, call frames and a BPF stack in
// linear memory. Each simulated CPU has one. A program runs on a context until
// it exits, faults, yields (ErrYield from a helper) or uses up its quantum; a
// suspended context is resumed later by its owner with Run.
//
// A Context is not safe for concurrent use.
type Context struct {
	// The fields a call's start and the generated code use come first,
	// in as few cache lines as they fit (the JIT reads their offsets;
	// a machine has hundreds of contexts, which do not all stay in the
	// cache between two callbacks on the same CPU).

	VM   *VM
	Regs [11]uint64
	// CPU is the simulated CPU this context belongs to (bpf_get_smp_processor_id).
	CPU int
	// Insns counts instructions executed on this context since creation.
	Insns uint64
	// Cost accumulates simulated nanoseconds charged by helpers and kfuncs.
	Cost uint64

	// Engine executes programs; NewContext sets an interpreter.
	Engine Engine
	// Limit is the most instructions a program may execute from Start to
	// its exit, callbacks included; one more faults. NewContext sets
	// DefaultLimit; 0 means no limit.
	Limit uint64
	// CostLimit is the most simulated nanoseconds a program may take from
	// Start to its exit (its instructions at VM.InsnCost picoseconds each
	// plus helper and kfunc costs), checked after each helper or kfunc
	// call; 0 means no limit. Set Limit as well to stop loops that make no
	// calls. Both limits fault with ErrBudget, which cancels a runaway
	// program the same way on every engine.
	CostLimit uint64

	// The state of the program in progress, kept here so that suspending
	// is returning. Engines read and write it; embedders only read it.
	Prog      *Program // program in progress
	PC        int      // next instruction (or the call to retry after a yield)
	Depth     int      // active frames in Frames
	Base      int      // Run returns when the frame at this depth exits
	CallStart uint64   // Insns when the program was started, for Limit
	CostStart uint64   // Cost when the program was started, for CostLimit
	stack     uint64   // MaxCallFrames*StackSize bytes of linear memory
	flags     uint8    // ctxOpen, ctxActive, ctxRunning
	// Frames[Depth-1] is the running function.
	Frames [MaxCallFrames]Frame

	// User is free for the embedder (e.g. the callback being run).
	User any

	// the stack is not an allocation of the context's own, which Close
	// frees: NewSharedContext's (another context's), NewContexts' (part
	// of one for all CPUs)
	borrows bool

	lastRec struct { // bpf_obj_new's last type (graph.go)
		spec *btf.Spec
		id   uint64
		rec  *objRecord
	}
}

// Frame is one activation of a BPF function on a Context.
type Frame struct {
	// (FP, Loops and RetPC first: a call's start sets them in frame 0,
	// in the cache line of the Context's fields before it)
	FP    uint64    // r10 of this frame: the top of its StackSize bytes
	Loops uint64    // may_goto iterations left in this frame
	RetPC int       // where the caller continues after this frame exits
	Saved [4]uint64 // the caller's r6..r9, restored at exit
}

const (
	// DefaultLimit is the default of Context.Limit.
	DefaultLimit = 1 << 26
	// MaxLoops bounds bpf_loop, the numeric iterator and may_goto
	// (kernel: BPF_MAX_LOOPS).
	MaxLoops = 8 * 1024 * 1024
)

// FuncPtr is the value LD_IMM64 with PseudoFunc yields for the subprogram
// starting at instruction pc: an address outside any linear memory, tagged
// so that helpers taking callbacks (bpf_loop, timers) recognise it with
// FuncPC. The callback runs in the program that loaded the value.
func FuncPtr(pc int) uint64 { return funcPtrTag | uint64(uint32(pc)) }

// FuncPC returns the subprogram instruction index encoded by FuncPtr.
func FuncPC(v uint64) (pc int, ok bool) {
	if v&^0xffffffff != funcPtrTag || v&0x80000000 != 0 {
		return 0, false
	}
	return int(v & 0x7fffffff), true
}

const funcPtrTag = 0xffff_fff0_0000_0000

// NewContext returns a context for the given simulated CPU, with its stack
// (MaxCallFrames frames of StackSize bytes) allocated in linear memory.
func (vm *VM) NewContext(cpu int) (*Context, error) {
	if vm == nil || vm.Mem == nil {
		return nil, errors.New("bpfvm: NewContext on a VM without linear memory")
	}
	if cpu < 0 || vm.NumCPUs > 0 && cpu >= vm.NumCPUs {
		return nil, fmt.Errorf("bpfvm: context for CPU %d, but the VM has %d CPUs", cpu, vm.NumCPUs)
	}
	stack, err := vm.Mem.Alloc(MaxCallFrames*StackSize, StackSize)
	if err != nil {
		return nil, fmt.Errorf("bpfvm: allocating the stack of CPU %d: %w", cpu, err)
	}
	return &Context{VM: vm, CPU: cpu, Engine: NewInterpreter(), Limit: DefaultLimit, stack: stack, flags: ctxOpen}, nil
}

// NewContexts returns the contexts of CPUs 0..n-1, as NewContext's but
// with their stacks in one allocation of linear memory, each followed
// by extra bytes of the CPU's own: areas[cpu] is their address, the top
// of the CPU's stack area (Stack's hi, 64-byte aligned). Consecutive
// CPUs' areas are ContextStride(extra) bytes apart.
//
// This is the layout for a machine of many CPUs. NewContext's stacks,
// 4 KiB each and aligned to it, put the top of every CPU's entry frame
// (the stack bytes its callbacks use) at the same offset in a page,
// and what the caller allocates next for each CPU (its arguments, say)
// at the same offset again: the cache's set index repeats every 4 KiB
// in a 64-set L1d (and every 128 KiB in a 2 MiB 16-way L2), so all
// CPUs' hot lines compete for the same few sets and evict one another
// between two callbacks of a CPU. At a stride of an odd number of cache
// lines, consecutive CPUs' hot lines fall in different sets, and those
// of 64 CPUs in the L1d's (2048 in such an L2's) all different sets.
//
// Close of these contexts frees nothing: the allocation lasts as long
// as the memory.
func (vm *VM) NewContexts(n int, extra uint64) (ctxs []*Context, areas []uint64, err error) {
	if vm == nil || vm.Mem == nil {
		return nil, nil, errors.New("bpfvm: NewContexts on a VM without linear memory")
	}
	if n < 0 || vm.NumCPUs > 0 && n > vm.NumCPUs {
		return nil, nil, fmt.Errorf("bpfvm: contexts for %d CPUs, but the VM has %d", n, vm.NumCPUs)
	}
	if n == 0 {
		return nil, nil, nil
	}
	stride := ContextStride(extra)
	block, err := vm.Mem.Alloc(uint64(n)*stride, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("bpfvm: allocating the stacks of %d CPUs: %w", n, err)
	}
	ctxs, areas = make([]*Context, n), make([]uint64, n)
	for cpu := range ctxs {
		stack := block + uint64(cpu)*stride
		ctxs[cpu] = &Context{VM: vm, CPU: cpu, Engine: NewInterpreter(), Limit: DefaultLimit, stack: stack, flags: ctxOpen, borrows: true}
		areas[cpu] = stack + MaxCallFrames*StackSize
	}
	return ctxs, areas, nil
}

// ContextStride is the distance between consecutive CPUs' stacks in
// NewContexts(n, extra): a stack area (MaxCallFrames*StackSize bytes)
// and extra bytes, rounded up to an odd number of 64-byte cache lines.
func ContextStride(extra uint64) uint64 {
	lines := (MaxCallFrames*StackSize + extra + 63) / 64
	return (lines | 1) * 64
}

// NewSharedContext returns a context without a stack of its own, which
// runs programs for other contexts' CPUs in turn: ActFor gives it a CPU
// and that CPU's stack before each start. An embedder that runs the
// callbacks of many CPUs one at a time (no program in progress on any
// other context) keeps its hot state in one place this way, where a
// context per CPU would be read from a different place on every call.
// It allocates no linear memory (the addresses of later allocations are
// those without it).
func (vm *VM) NewSharedContext() *Context {
	return &Context{VM: vm, Engine: NewInterpreter(), Limit: DefaultLimit, flags: ctxOpen, borrows: true}
}

// ActFor makes the idle context c run its next program for CPU cpu on the
// stack area whose low end is stack (Stack's lo of that CPU's own
// context, which must be idle until this program ends): the program sees
// the same CPU, stack addresses and stack contents as on that context.
func (c *Context) ActFor(cpu int, stack uint64) {
	c.CPU, c.stack = cpu, stack
}

// Context.flags
const (
	ctxOpen    = 1 << iota // the stack is allocated (NewContext, until Close)
	ctxActive              // a program is started and has not finished
	ctxRunning             // inside Run (helpers may call CallSubprog)
)

// Close frees the context's stack. The context must not be used after.
func (c *Context) Close() error {
	if c.stack == 0 || c.borrows {
		c.stack = 0
		c.flags &^= ctxOpen
		return nil
	}
	err := c.VM.Mem.Free(c.stack)
	c.stack = 0
	c.flags &^= ctxOpen
	return err
}

// Stack returns the bounds [lo, hi) of the context's stack area.
func (c *Context) Stack() (lo, hi uint64) {
	return c.stack, c.stack + MaxCallFrames*StackSize
}

// FrameTop is r10 of frame number d (0 = the entry frame): frames grow
// down from the top of the stack area, StackSize bytes each.
func (c *Context) FrameTop(d int) uint64 {
	return c.stack + uint64(MaxCallFrames-d)*StackSize
}

// Active reports whether a program is started and has not finished (it is
// suspended after a yield or preemption).
func (c *Context) Active() bool { return c.flags&ctxActive != 0 }

// Reset abandons the program in progress, if any.
func (c *Context) Reset() {
	c.flags &^= ctxActive
	c.Prog = nil
	c.Depth = 0
	c.Base = 0
}

// Start prepares p to run from its first instruction with r1..r5 = args.
// Nothing runs until Run.
func (c *Context) Start(p *Program, args ...uint64) error {
	return c.StartAt(p, 0, args...)
}

// StartAt is Start at instruction pc, the start of a subprogram (e.g. a
// timer callback).
func (c *Context) StartAt(p *Program, pc int, args ...uint64) error {
	if c.flags&ctxActive != 0 {
		return fmt.Errorf("bpfvm: CPU %d: starting %s while %s is in progress (Run it to completion or Reset)", c.CPU, progName(p), progName(c.Prog))
	}
	if c.flags&ctxRunning != 0 {
		return fmt.Errorf("bpfvm: CPU %d: Start inside a running program (use CallSubprog)", c.CPU)
	}
	if err := checkEntry(p, pc, args); err != nil {
		return err
	}
	if c.stack == 0 {
		return errors.New("bpfvm: Start on a closed context")
	}
	c.start(p, pc, args)
	return nil
}

// start is StartAt after its checks.
func (c *Context) start(p *Program, pc int, args []uint64) {
	c.Prog = p
	c.PC = pc
	c.Regs = [11]uint64{}
	for i, a := range args[:min(len(args), 5)] { // no memmove call for a few words
		c.Regs[1+i] = a
	}
	fp := c.stack + MaxCallFrames*StackSize // FrameTop(0)
	c.Frames[0] = Frame{RetPC: -1, FP: fp, Loops: MaxLoops}
	c.Regs[R10] = fp
	c.Depth = 1
	c.Base = 1
	c.CallStart = c.Insns
	c.CostStart = c.Cost
	c.flags |= ctxActive
}

func checkEntry(p *Program, pc int, args []uint64) error {
	if p == nil {
		return errors.New("bpfvm: nil program")
	}
	if len(args) > 5 {
		return fmt.Errorf("bpfvm: %s called with %d arguments, at most 5", p.Name, len(args))
	}
	if pc < 0 || pc >= len(p.Insns) {
		return fmt.Errorf("bpfvm: entry %d outside %s (%d instructions)", pc, p.Name, len(p.Insns))
	}
	return nil
}

func progName(p *Program) string {
	if p == nil {
		return "<none>"
	}
	return p.Name
}

// Run continues the started program until it exits (StatusExited, r0 in
// Regs[0]), has executed quantum more instructions (StatusPreempted;
// quantum 0 is unlimited), a helper yields (StatusYielded; the next Run
// retries that call), or it faults (StatusFault and a *Fault).
func (c *Context) Run(quantum uint64) (Status, error) {
	if c.flags&ctxActive == 0 {
		return StatusFault, fmt.Errorf("bpfvm: CPU %d: Run without a started program", c.CPU)
	}
	if c.flags&ctxRunning != 0 {
		return StatusFault, fmt.Errorf("bpfvm: CPU %d: Run inside a running program (use CallSubprog)", c.CPU)
	}
	c.flags |= ctxRunning
	st, err := c.Engine.Run(c, quantum)
	c.flags &^= ctxRunning
	if st == StatusExited || st == StatusFault {
		c.flags &^= ctxActive
	}
	return st, err
}

// Call runs p to completion with r1..r5 = args and returns its r0. A yield
// or preemption is an error here; the program is then abandoned.
//
// The common case, an idle context and a program that exits, is a fast
// path: the checks of StartAt in one test (flags holds ctxOpen alone:
// the stack is there, no program is started or running), then straight
// to the engine.
func (c *Context) Call(p *Program, args ...uint64) (uint64, error) {
	if c.flags != ctxOpen || p == nil || len(args) > 5 || len(p.Insns) == 0 {
		if err := c.StartAt(p, 0, args...); err != nil {
			return 0, err
		}
		return c.finish()
	}
	c.Regs = [11]uint64{}
	if len(args) > 0 { // unrolled: a loop costs twice the instructions for one argument
		c.Regs[1] = args[0]
		if len(args) > 1 {
			c.Regs[2] = args[1]
			if len(args) > 2 {
				c.Regs[3] = args[2]
				if len(args) > 3 {
					c.Regs[4] = args[3]
					if len(args) > 4 {
						c.Regs[5] = args[4]
					}
				}
			}
		}
	}
	c.begin(p)
	st, err := c.Engine.Run(c, 0)
	if st == StatusExited {
		c.flags &^= ctxActive | ctxRunning
		return c.Regs[0], nil
	}
	c.flags &^= ctxRunning
	return c.finished(st, err)
}

// Call1 is Call with one argument (r1), the struct_ops callbacks' array
// of arguments: the same fast path without the variadic slice.
func (c *Context) Call1(p *Program, a uint64) (uint64, error) {
	if !c.Idle(p) {
		return c.Call(p, a)
	}
	c.Begin1(p, a)
	st, err := c.Engine.Run(c, 0)
	if st == StatusExited {
		return c.Done(), nil
	}
	return c.End(st, err)
}

// Idle reports whether Call1(p, ...) takes its fast path: the context is
// idle (no program started or running, its stack allocated) and p has
// instructions. Call1 goes through Call otherwise, which says why not.
func (c *Context) Idle(p *Program) bool {
	return c.flags == ctxOpen && p != nil && len(p.Insns) != 0
}

// Begin1 starts p with r1 = a on a context that is Idle for p, as Call1
// does before it runs the engine. An engine's own call path
// (jit.Engine.Call1) then runs the program as Engine.Run would from
// there, and ends with Done (the program exited) or End.
func (c *Context) Begin1(p *Program, a uint64) {
	c.Regs = [11]uint64{1: a}
	c.begin(p)
}

// begin is the start of p on an idle context whose r1..r5 are set (and
// r0, r6..r9 zero): c.start(p, 0, args) after its checks, by hand (the
// compiler does not inline start).
func (c *Context) begin(p *Program) {
	c.Prog = p
	c.PC = 0
	fp := c.stack + MaxCallFrames*StackSize
	// Frames[0] = Frame{RetPC: -1, FP: fp, Loops: MaxLoops}, field by
	// field: Frames[0].Saved is always zero (a call saves the caller's
	// registers in Frames[Depth], and Depth >= 1 while a program runs)
	f0 := &c.Frames[0]
	f0.RetPC, f0.FP, f0.Loops = -1, fp, MaxLoops
	c.Regs[R10] = fp
	c.Depth = 1
	c.Base = 1
	c.CallStart = c.Insns
	c.CostStart = c.Cost
	c.flags = ctxOpen | ctxActive | ctxRunning
}

// Done ends a call started by Begin1 whose program exited: r0.
func (c *Context) Done() uint64 {
	c.flags &^= ctxActive | ctxRunning
	return c.Regs[0]
}

// End ends a call started by Begin1 whose run ended with st and err, as
// Call does: r0, or the fault.
func (c *Context) End(st Status, err error) (uint64, error) {
	if st == StatusExited {
		return c.Done(), nil
	}
	c.flags &^= ctxRunning
	return c.finished(st, err)
}

func (c *Context) finish() (uint64, error) {
	st, err := c.Run(0)
	return c.finished(st, err)
}

// finished is the result of a synchronous call that ended with st.
func (c *Context) finished(st Status, err error) (uint64, error) {
	if st == StatusFault {
		c.flags &^= ctxActive
	}
	switch st {
	case StatusExited:
		return c.Regs[0], nil
	case StatusYielded:
		f := &Fault{Prog: c.Prog, PC: c.PC, Reason: "a helper yielded in a synchronous call", Err: ErrYield}
		c.Reset()
		return 0, f
	}
	if err == nil {
		err = fmt.Errorf("bpfvm: %s ended with status %v", c.Prog.Name, st)
	}
	return 0, err
}

// CallSubprog runs the subprogram of p starting at instruction pc with
// r1..r5 = args and returns its r0. Called from a helper while a program
// runs on c (bpf_loop, rbtree comparisons), it runs nested on the same
// context in a new frame, counting against the same limits; the callback
// may not yield. On an idle context it is Call at pc (timer callbacks).
func (c *Context) CallSubprog(p *Program, pc int, args ...uint64) (uint64, error) {
	if c.flags&ctxRunning == 0 {
		if err := c.StartAt(p, pc, args...); err != nil {
			return 0, err
		}
		return c.finish()
	}
	if err := checkEntry(p, pc, args); err != nil {
		return 0, err
	}
	if c.Depth >= MaxCallFrames {
		return 0, &Fault{Prog: c.Prog, PC: c.PC, Reason: fmt.Sprintf("callback needs a call frame beyond the limit of %d", MaxCallFrames)}
	}
	saveRegs, savePC, saveProg, saveDepth, saveBase := c.Regs, c.PC, c.Prog, c.Depth, c.Base
	c.Frames[c.Depth] = Frame{RetPC: -1, FP: c.FrameTop(c.Depth), Loops: MaxLoops}
	c.Regs = [11]uint64{}
	copy(c.Regs[1:], args)
	c.Regs[R10] = c.Frames[c.Depth].FP
	c.Depth++
	c.Base = c.Depth
	c.Prog, c.PC = p, pc
	st, err := c.Engine.Run(c, 0)
	r0 := c.Regs[0]
	yieldPC := c.PC
	c.Regs, c.PC, c.Prog, c.Depth, c.Base = saveRegs, savePC, saveProg, saveDepth, saveBase
	switch st {
	case StatusExited:
		return r0, nil
	case StatusYielded:
		return 0, &Fault{Prog: p, PC: yieldPC, Reason: "a helper yielded inside a callback, which cannot be suspended", Err: ErrYield}
	}
	if err == nil {
		err = &Fault{Prog: p, PC: pc, Reason: fmt.Sprintf("callback ended with status %v", st)}
	}
	return 0, err
}

// CallFunc serves a CALL of a helper (kfunc false) or kfunc by id for an
// engine: it finds the function, calls it with r1..r5, charges its cost and
// returns r0. The error is ErrYield, or a *Fault at c.PC (which the engine
// sets to the call instruction before calling).
func (c *Context) CallFunc(kfunc bool, id int32, r1, r2, r3, r4, r5 uint64) (uint64, error) {
	reg := c.VM.Registry
	if reg == nil {
		return 0, c.resolve(nil, kfunc, id)
	}
	var fn Func
	var cost uint64
	var h *Helper
	var k *Kfunc
	if kfunc {
		if k = reg.Kfunc(id); k == nil || k.Fn == nil {
			return 0, c.resolve(nil, kfunc, id)
		}
		fn, cost = k.Fn, k.Cost
	} else {
		if h = reg.Helper(id); h == nil || h.Fn == nil {
			return 0, c.resolve(nil, kfunc, id)
		}
		fn, cost = h.Fn, h.Cost
	}
	r0, err := fn(c, r1, r2, r3, r4, r5)
	if err != nil || c.CostLimit != 0 {
		name := ""
		if k != nil {
			name = k.Name
		} else {
			name = h.Name
		}
		return c.callEnd(cost, name, r0, err)
	}
	c.Cost += cost
	return r0, nil
}

// FuncRef is a call site's helper or kfunc, resolved once by an engine
// that keeps one per site (CallRef): the function, its cost and name, and
// the registry it was found in.
type FuncRef struct {
	fn   Func
	cost uint64
	reg  *Registry
	gen  uint64
	name string
}

// CallRef is CallFunc for a call site whose resolution the engine keeps
// in *ref (zero at first): the function is looked up again only when the
// VM's registry changed (a Helper or Kfunc is not modified once
// registered; AddHelper and AddKfunc replace it). Results, costs and
// faults are CallFunc's.
func (c *Context) CallRef(ref *FuncRef, kfunc bool, id int32, r1, r2, r3, r4, r5 uint64) (uint64, error) {
	if !ref.Ready(c) {
		if f := c.resolve(ref, kfunc, id); f != nil {
			return 0, f
		}
	}
	return c.CallReady(ref, r1, r2, r3, r4, r5)
}

// Ready reports whether ref holds the function its call site names in c's
// VM now (so that CallReady may call it).
func (ref *FuncRef) Ready(c *Context) bool {
	return ref.reg != nil && ref.reg == c.VM.Registry && ref.gen == ref.reg.gen
}

// resolve sets *ref to the function of a call in the VM's registry, or
// returns the fault of calling it (and leaves *ref unresolved; ref may be
// nil for the fault alone).
func (c *Context) resolve(ref *FuncRef, kfunc bool, id int32) *Fault {
	if ref == nil {
		ref = new(FuncRef)
	}
	reg := c.VM.Registry
	if reg == nil {
		return &Fault{Prog: c.Prog, PC: c.PC, Reason: "call of a helper or kfunc, but the VM has no registry"}
	}
	if kfunc {
		k := reg.Kfunc(id)
		if k == nil || k.Fn == nil {
			*ref = FuncRef{}
			return &Fault{Prog: c.Prog, PC: c.PC, Reason: fmt.Sprintf("call of unknown kfunc #%d", id)}
		}
		*ref = FuncRef{fn: k.Fn, cost: k.Cost, name: k.Name, reg: reg, gen: reg.gen}
	} else {
		h := reg.Helper(id)
		if h == nil || h.Fn == nil {
			*ref = FuncRef{}
			return &Fault{Prog: c.Prog, PC: c.PC, Reason: fmt.Sprintf("call of unknown helper #%d", id)}
		}
		*ref = FuncRef{fn: h.Fn, cost: h.Cost, name: h.Name, reg: reg, gen: reg.gen}
	}
	return nil
}

// CallReady is CallRef for a ref that is Ready: it calls the function and
// charges its cost.
func (c *Context) CallReady(ref *FuncRef, r1, r2, r3, r4, r5 uint64) (uint64, error) {
	r0, err := ref.fn(c, r1, r2, r3, r4, r5)
	if err != nil || c.CostLimit != 0 {
		return c.callEnd(ref.cost, ref.name, r0, err)
	}
	c.Cost += ref.cost
	return r0, nil
}

// Fn returns the function of a Ready ref, for an engine that calls it
// itself (inline, instead of CallReady) and then charges its cost with
// c.Cost += ref.Cost() unless the call returned an error or c.CostLimit
// is set, when CallEnd ends the call instead.
func (ref *FuncRef) Fn() Func { return ref.fn }

// Cost is the cost a Ready ref's function charges (Fn).
func (ref *FuncRef) Cost() uint64 { return ref.cost }

// CallEnd ends the call of ref's function (Fn) that returned r0, err when
// err is not nil or c.CostLimit is set, as CallReady does.
func (c *Context) CallEnd(ref *FuncRef, r0 uint64, err error) (uint64, error) {
	return c.callEnd(ref.cost, ref.name, r0, err)
}

// callEnd is the end of a call with an error or a cost limit to check.
func (c *Context) callEnd(cost uint64, name string, r0 uint64, err error) (uint64, error) {
	if err == nil && c.CostLimit != 0 {
		if spent := c.spent() + cost; spent > c.CostLimit {
			c.Cost += cost
			return 0, &Fault{Prog: c.Prog, PC: c.PC, Err: ErrBudget,
				Reason: fmt.Sprintf("simulated time budget of %d ns exceeded (%d ns spent, %s the last)", c.CostLimit, spent, name)}
		}
	}
	if err != nil {
		if err == ErrYield {
			return 0, err
		}
		var f *Fault
		if errors.As(err, &f) {
			return 0, err
		}
		return 0, &Fault{Prog: c.Prog, PC: c.PC, Reason: prefixName(name, err.Error()), Err: err}
	}
	c.Cost += cost
	return r0, nil
}

// prefixName is "name: msg", unless msg already begins with name (helpers
// often name themselves in their errors).
func prefixName(name, msg string) string {
	if strings.HasPrefix(msg, name+":") || strings.HasPrefix(msg, name+" ") {
		return msg
	}
	return name + ": " + msg
}

// ErrBudget is the error of the fault that ends a program which exceeded
// Context.Limit or Context.CostLimit.
var ErrBudget = errors.New("bpfvm: budget exceeded")

// LimitFault is the fault of a program that reached Context.Limit at c.PC
// (engines return it).
func (c *Context) LimitFault() *Fault {
	return &Fault{Prog: c.Prog, PC: c.PC, Reason: fmt.Sprintf("instruction limit of %d exceeded", c.Limit), Err: ErrBudget}
}

// spent is the simulated time the program in progress has taken, in ns.
func (c *Context) spent() uint64 {
	ps := (c.Insns - c.CallStart) * c.VM.InsnCost
	return ps/1000 + c.Cost - c.CostStart
}
