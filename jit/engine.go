package jit

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/schedsim/schedsim/bpfvm"
)

// Engine runs programs as native code. Instructions the generated code
// does not execute itself (faults, callx, too deep a call) and the tail of
// a quantum that ends inside a block are executed by an interpreter on the
// same Context, so every result, count and message is the interpreter's.
//
// An Engine belongs to one Context; compiled code is shared by all the
// contexts of a VM (VM.Compiled).
type Engine struct {
	// The fields the fast path reads come first, st0 after them, so
	// that a call's start touches three cache lines of the engine besides
	// the recent table's set (a machine has hundreds of engines).
	depth int
	// Run's fast path serves the context fast without looking further
	// when its VM, memory, CPU, cost limit and CPU count are those st0
	// was set up for (vm, st0) and the VM's registry is still reg at
	// generation gen: every code in recent is current for vm, reg and gen
	// (sync). fast is nil when st0 is not set up, or the registry is nil.
	fast *bpfvm.Context
	vm   *bpfvm.VM
	reg  *bpfvm.Registry
	gen  uint64
	// st0's inputs to its CPU's part that do not depend on the CPU
	// (Engine.state sets them with st0; Call1's setCPU0 reads them):
	// max(NumCPUs, 1), and the native locks' NativeState and its CPUs
	// (lockLen 0 when st0.nat is 0 or the VM has no NativeState)
	cpuLim   uint
	lockLen  uint
	lockNS   uint64
	lockCPU0 uint64
	st0      state    // the outermost Run's
	states   []*state // nested Runs' (a helper running a callback)
	interp   *bpfvm.Interpreter
	// recent programs' code, two ways per set, the set found by a
	// multiplicative hash of the address (slots): a context runs each
	// callback's program in turn, a dozen or more of them, which a small
	// direct-mapped table indexed by address bits made collide. Only
	// compiled programs enter it; empty slots hold noProg (sync fills the
	// table with them before the fast path first runs)
	recent [2 * recentSets]recentSlot
}

type recentSlot struct {
	p *bpfvm.Program
	c *code
}

// recentSets is the number of sets in Engine.recent (a power of 2).
const recentSets = 64

// slots returns the index of p's set's first way in Engine.recent.
func slots(p *bpfvm.Program) uintptr {
	return uintptr(unsafe.Pointer(p)) * 0x9e3779b97f4a7c15 >> 58 * 2 // 64 - log2(recentSets)
}

// New returns the JIT engine on platforms that run it (Supported) and the
// interpreter elsewhere.
func New() bpfvm.Engine {
	if !Supported {
		return bpfvm.NewInterpreter()
	}
	return &Engine{interp: bpfvm.NewInterpreter()}
}

// Name is "jit".
func (e *Engine) Name() string { return "jit" }

// compiled is what the VM keeps for a program: its code, or why it could
// not be compiled (then the interpreter runs it).
type compiled struct {
	code *code
	err  error
}

// Stats describes the compilation of one program.
type Stats struct {
	CodeBytes int           // machine code, entry table excluded
	Took      time.Duration // time to compile
}

// Compile compiles p for vm (once; the VM keeps the code for all its
// contexts) and reports its size and compile time.
func Compile(vm *bpfvm.VM, p *bpfvm.Program) (Stats, error) {
	cp := lookup(vm, p)
	if cp.err != nil {
		return Stats{}, cp.err
	}
	return Stats{CodeBytes: cp.code.size, Took: cp.code.took}, nil
}

func lookup(vm *bpfvm.VM, p *bpfvm.Program) *compiled {
	if v, ok := vm.Compiled(p).(*compiled); ok && v.code.current(vm) {
		return v
	}
	cp := &compiled{}
	if !Supported {
		cp.err = errors.New("jit: the JIT runs on linux/amd64 only")
	} else {
		cp.code, cp.err = compile(vm, p)
	}
	vm.SetCompiled(p, cp)
	return cp
}

// current reports whether cd was compiled against the VM's registry as
// it is: the native helpers it inlined are still the registered ones (a
// nil cd, a program that could not be compiled, is current).
func (cd *code) current(vm *bpfvm.VM) bool {
	return cd == nil || cd.reg == vm.Registry && (cd.reg == nil || cd.gen == cd.reg.Gen())
}

// sync empties the recent table unless it holds code for vm and its
// registry as they are.
func (e *Engine) sync(vm *bpfvm.VM) {
	reg := vm.Registry
	var gen uint64
	if reg != nil {
		gen = reg.Gen()
	}
	if vm == e.vm && reg == e.reg && gen == e.gen {
		return
	}
	for k := range e.recent {
		e.recent[k].p, e.recent[k].c = noProg, nil
	}
	e.vm, e.reg, e.gen = vm, reg, gen
	if reg == nil {
		e.fast = nil
	}
}

// noProg marks the empty slots of the recent table, so that a slot whose
// program is c.Prog (nil included) holds code.
var noProg = new(bpfvm.Program)

// code returns p's code for vm (nil if p could not be compiled), through
// the recent table.
func (e *Engine) code(vm *bpfvm.VM, p *bpfvm.Program) *code {
	e.sync(vm)
	k := slots(p)
	if s := &e.recent[k]; s.p == p {
		return s.c
	}
	if s := &e.recent[k+1]; s.p == p {
		return s.c
	}
	cp := lookup(vm, p)
	if cp.code != nil {
		// the set's first way moves to the second
		e.recent[k+1] = e.recent[k]
		e.recent[k] = recentSlot{p, cp.code}
	}
	return cp.code
}

// Run continues the program on c; see bpfvm.Engine.
//
// The fast path: c is the context the engine last set up, nothing it
// was set up from has changed (Engine.fast) and the program's code is in
// the recent table. A call's start (Context.Call: instruction 0 of frame
// 1, no quantum) enters the code inline: a program that runs to its exit
// without calling out returns from here (the code runs no Go, so this
// Run counts in e.depth only from the loop on).
func (e *Engine) Run(c *bpfvm.Context, quantum uint64) (bpfvm.Status, error) {
	p, vm := c.Prog, c.VM
	st := &e.st0
	k := slots(p)
	slot := &e.recent[k]
	if slot.p != p {
		slot = &e.recent[k+1]
	}
	if e.fast != c || e.depth != 0 || e.vm != vm || e.reg != vm.Registry || e.gen != e.reg.Gen() ||
		st.mem != vm.Mem || st.cpu != uint64(c.CPU) || st.costLimit != c.CostLimit || st.ncpu != vm.NumCPUs ||
		slot.p != p {
		return e.runSlow(c, quantum)
	}
	cd := slot.c
	if quantum != 0 || c.PC != 0 || c.Depth != 1 || c.Base != 1 {
		return e.runFrom(c, cd, st, quantum)
	}
	target := ^uint64(0)
	if c.Limit != 0 && c.CallStart+c.Limit > c.CallStart {
		target = c.CallStart + c.Limit
	}
	if c.Insns >= target {
		return e.runFrom(c, cd, st, quantum)
	}
	st.budget, st.target = target-c.Insns, target
	enter(cd.entry0, st)
	if st.exitCode == exitExit {
		return bpfvm.StatusExited, nil
	}
	return e.callOut(cd)
}

// callOut continues a call's start that Run entered inline in
// cd and whose code exited to call out: it serves that exit and runs on,
// with the context and the target found where the fast path left them
// (the limit's end: a call's start has no quantum). Call1 does the same
// inline.
func (e *Engine) callOut(cd *code) (bpfvm.Status, error) {
	s, err, _ := e.calls(cd, &e.st0, e.st0.target, true) // a call's start: no quantum
	return s, err
}

// Site caches the code of one call site's program (a struct_ops
// callback's) for all the engines of a VM: shared by a machine's
// contexts, it stays in the cache where each engine's recent table would
// be read at a different place on every CPU. The zero Site is empty.
type Site struct {
	p       *bpfvm.Program
	cd      *code
	vm      *bpfvm.VM
	reg     *bpfvm.Registry
	gen     uint64
	forgets uint64
}

// forgets counts Engine.Forget calls: a Site filled before one is stale.
var forgets atomic.Uint64

// Call1 is c.Call1(p, a) for a context whose Engine is e: Context.Begin1
// and Run's fast path, inline, without the interface call and the checks
// a call's start makes true (instruction 0 of frame 1, no quantum,
// CallStart = Insns), p's code found in site (which the call site keeps
// for p, for every engine of the VM) instead of the recent table.
func (e *Engine) Call1(c *bpfvm.Context, p *bpfvm.Program, a uint64, site *Site) (uint64, error) {
	if !c.Idle(p) || c.Engine != bpfvm.Engine(e) {
		return c.Call1(p, a)
	}
	c.Begin1(p, a)
	vm := c.VM
	st := &e.st0
	if e.fast != c || e.depth != 0 || e.vm != vm || e.reg != vm.Registry || e.gen != e.reg.Gen() ||
		st.mem != vm.Mem || st.costLimit != c.CostLimit || st.ncpu != vm.NumCPUs {
		return c.End(e.runSlow(c, 0))
	}
	// the CPU's part of the state: a shared context
	// (bpfvm.NewSharedContext) acts for another CPU on many calls
	if st.cpu != uint64(c.CPU) {
		e.setCPU0(c.CPU)
	}
	// the key holds: site's code is current if it was for this VM,
	// registry and generation
	cd := site.cd
	if site.p != p || site.vm != vm || site.reg != e.reg || site.gen != e.gen || site.forgets != forgets.Load() {
		if cd = e.fill(site, vm, p); cd == nil {
			return c.End(e.runSlow(c, 0))
		}
	}
	target := ^uint64(0)
	if c.Limit != 0 && c.Insns+c.Limit > c.Insns {
		target = c.Insns + c.Limit
	}
	if c.Insns >= target {
		return c.End(e.runFrom(c, cd, st, 0))
	}
	st.budget, st.target = target-c.Insns, target
	enter(cd.entry0, st)
	if st.exitCode == exitExit {
		return c.Done(), nil
	}
	// callOut, and Context.End's common case (the program exited) inline:
	// st.ctx is c (e.fast)
	s, err, _ := e.calls(cd, st, st.target, true) // a call's start: no quantum
	if s == bpfvm.StatusExited {
		return c.Done(), nil
	}
	return c.End(s, err)
}

// fill sets site to p's code for vm (through the recent table), if p
// could be compiled, and returns it.
func (e *Engine) fill(site *Site, vm *bpfvm.VM, p *bpfvm.Program) *code {
	n := forgets.Load()
	cd := e.code(vm, p)
	if cd != nil {
		*site = Site{p: p, cd: cd, vm: vm, reg: e.reg, gen: e.gen, forgets: n}
	}
	return cd
}

// runSlow is Run when the fast path does not apply: it checks the
// context, finds the code and sets up the state.
func (e *Engine) runSlow(c *bpfvm.Context, quantum uint64) (bpfvm.Status, error) {
	p := c.Prog
	vm := c.VM
	if p == nil || c.Depth < 1 || c.Base < 1 || c.Depth > bpfvm.MaxCallFrames || vm == nil || vm.Mem == nil {
		return e.interp.Run(c, quantum)
	}
	cd := e.code(vm, p)
	if cd == nil {
		return e.interp.Run(c, quantum)
	}
	return e.runFrom(c, cd, e.state(c, vm), quantum)
}

// runFrom is Run with the code and the state found: anywhere in the
// program, with or without a quantum.
func (e *Engine) runFrom(c *bpfvm.Context, cd *code, st *state, quantum uint64) (bpfvm.Status, error) {
	if c.Depth < 1 || c.Base < 1 || c.Depth > bpfvm.MaxCallFrames || cd.noCalls && c.Depth != c.Base {
		return e.interp.Run(c, quantum)
	}
	limitEnd := ^uint64(0)
	if c.Limit != 0 && c.CallStart+c.Limit > c.CallStart {
		limitEnd = c.CallStart + c.Limit
	}
	target := limitEnd
	if quantum != 0 && c.Insns+quantum > c.Insns && c.Insns+quantum < target {
		target = c.Insns + quantum
	}
	e.depth++
	s, err := e.run(c, cd, st, target, limitEnd, false)
	e.depth--
	return s, err
}

// state returns the state of the Run at depth e.depth, set up for c.
func (e *Engine) state(c *bpfvm.Context, vm *bpfvm.VM) *state {
	st := &e.st0
	if e.depth > 0 {
		for len(e.states) < e.depth {
			e.states = append(e.states, new(state))
		}
		st = e.states[e.depth-1]
	}
	if st.ctx != c { // a pointer store has a write barrier: skip it when unchanged
		st.ctx = c
	}
	if mem := vm.Mem; st.mem != mem {
		st.setMem(mem)
	}
	// native helpers (lower_native.go): only when the helper would not
	// check a cost limit, map lookups only when it would not fault on the CPU
	st.costLimit, st.ncpu = c.CostLimit, vm.NumCPUs
	st.nat = 0
	if c.CostLimit == 0 {
		st.nat = 1
	}
	st.setCPU(c.CPU, vm)
	if st == &e.st0 {
		e.cpuLim, e.lockLen, e.lockNS, e.lockCPU0 = uint(max(vm.NumCPUs, 1)), 0, 0, 0
		if ns := vm.Native; st.nat == 1 && ns != nil && len(ns.CPUs) > 0 {
			e.lockLen = uint(len(ns.CPUs))
			e.lockNS, e.lockCPU0 = uint64(uintptr(unsafe.Pointer(ns))), uint64(uintptr(unsafe.Pointer(&ns.CPUs[0])))
		}
		e.sync(vm)
		e.fast = nil
		if e.reg != nil {
			e.fast = c
		}
	}
	return st
}

// setCPU sets the CPU's part of st (set up for a context of its cost
// limit, st.nat) for CPU cpu of vm: cpu, natMap (native map lookups
// only when they would not fault on the CPU) and the native locks' state
// (lockNS, lockCPU: when the VM has a NativeState with the CPU in it).
func (st *state) setCPU(cpu int, vm *bpfvm.VM) {
	var lockLen uint
	var lockNS, lockCPU0 uint64
	if ns := vm.Native; st.nat == 1 && ns != nil && len(ns.CPUs) > 0 {
		lockLen = uint(len(ns.CPUs))
		lockNS, lockCPU0 = uint64(uintptr(unsafe.Pointer(ns))), uint64(uintptr(unsafe.Pointer(&ns.CPUs[0])))
	}
	st.setCPUFrom(cpu, uint(max(vm.NumCPUs, 1)), lockLen, lockNS, lockCPU0)
}

// setCPU0 is st0.setCPU(cpu, vm) for the VM st0 is set up for, from
// what Engine.state found for it (NativeState.CPUs never moves).
func (e *Engine) setCPU0(cpu int) {
	e.st0.setCPUFrom(cpu, e.cpuLim, e.lockLen, e.lockNS, e.lockCPU0)
}

// setCPUFrom is setCPU given the VM's CPU count (at least 1) and its
// NativeState's CPU count, address and first CPU's address (0, 0, 0:
// no native locks).
func (st *state) setCPUFrom(cpu int, cpuLim, lockLen uint, lockNS, lockCPU0 uint64) {
	u := uint(cpu)
	st.cpu = uint64(cpu)
	natMap := st.nat // 0 or 1
	if u >= cpuLim {
		natMap = 0
	}
	var ns, lc uint64
	if u < lockLen {
		ns, lc = lockNS, lockCPU0+uint64(u)*uint64(unsafe.Sizeof(bpfvm.LockCPU{}))
	}
	st.natMap, st.lockNS, st.lockCPU = natMap, ns, lc
}

// setMem records mem's bounds in st for the generated code's checks.
func (st *state) setMem(mem *bpfvm.Memory) {
	st.mem = mem
	st.memBase = mem.Base()
	for k := range st.lim {
		st.lim[k] = mem.Size() - 1<<k
	}
}

// run is Run's loop: enter the code, serve its exit, enter again. With
// entered set, the code has just exited: serve that
// exit first.
func (e *Engine) run(c *bpfvm.Context, cd *code, st *state, target, limitEnd uint64, entered bool) (bpfvm.Status, error) {
	for {
		if !entered {
			if c.Insns >= target {
				return spent(c, limitEnd)
			}
			pc := c.PC
			if pc < 0 || pc >= len(cd.leader) || !cd.leader[pc] {
				// not a block start (or outside the program): the
				// interpreter steps (or reports it)
				if s, err := e.interp.Run(c, 1); s != bpfvm.StatusPreempted {
					return s, err
				}
				continue
			}
			st.budget, st.target = target-c.Insns, target
			st.entryPC = uint64(pc)
			enter(cd.entry, st)
		}
		entered = false
		if s, err, done := e.calls(cd, st, limitEnd, false); done {
			return s, err
		}
		if s, err := e.serve(c, cd, st, target); s != bpfvm.StatusPreempted || err != nil {
			return s, err
		}
	}
}

// calls serves the exits of cd's code (just made) that call a resolved
// helper or kfunc, the common exit (a callback's kfuncs one after the
// other), and enters the code after each call without looking its
// instruction up (a block start). It is done when the code exited at the
// frame Run started at, when a call failed or yielded, or when a call
// spent the budget (preempted, or the limit's fault, as run's loop would
// report them); otherwise the code made an exit calls does not serve
// (serve does, slower), and with out set calls goes on in run (callOut:
// it inlines, and the kfunc is one frame away from Call1). The context
// is st.ctx and the target st.target (set for the code's last entry).
//
// calls counts in e.depth as a Run does (a Run nested in a kfunc takes
// the next state), also under run, which counted already (harmless: the
// nested Run takes the state after).
func (e *Engine) calls(cd *code, st *state, limitEnd uint64, out bool) (bpfvm.Status, error, bool) {
	c, target := st.ctx, st.target
	e.depth++
	for refAt, refs := cd.refAt, cd.refs; st.exitCode == exitCall; {
		pc := c.PC
		k := refAt[pc]
		if k < 0 || !refs[k].Ready(c) {
			break
		}
		// Context.CallReady, inline
		ref := &refs[k]
		c.Insns++
		r := &c.Regs
		v, err := ref.Fn()(c, r[1], r[2], r[3], r[4], r[5])
		if err != nil || c.CostLimit != 0 {
			if v, err = c.CallEnd(ref, v, err); err != nil {
				e.depth--
				s, err := callErr(c, err)
				return s, err, true
			}
		} else {
			c.Cost += ref.Cost()
		}
		r[0] = v
		c.PC = pc + 1
		if c.Insns >= target {
			e.depth--
			s, err := spent(c, limitEnd)
			return s, err, true
		}
		st.budget, st.target = target-c.Insns, target
		st.entryPC = uint64(pc + 1)
		enter(cd.entry, st)
		if st.exitCode == exitExit {
			e.depth--
			return bpfvm.StatusExited, nil, true
		}
	}
	if out {
		s, err := e.run(c, cd, st, target, limitEnd, true)
		e.depth--
		return s, err, true
	}
	e.depth--
	return 0, nil, false
}

// spent is the status of a run whose budget is spent (c.Insns >= its
// target): the limit's fault at its end, else preempted.
func spent(c *bpfvm.Context, limitEnd uint64) (bpfvm.Status, error) {
	if c.Insns >= limitEnd {
		return bpfvm.StatusFault, c.LimitFault()
	}
	return bpfvm.StatusPreempted, nil
}

// called ends the helper or kfunc call at pc that returned v, err: r0 and
// continue (StatusPreempted, nil), a yield (the call is made again, and
// counted then) or a fault.
func called(c *bpfvm.Context, pc int, v uint64, err error) (bpfvm.Status, error) {
	if err != nil {
		return callErr(c, err)
	}
	c.Regs[0] = v
	c.PC = pc + 1
	return bpfvm.StatusPreempted, nil
}

// callErr is the status of a call that returned err.
func callErr(c *bpfvm.Context, err error) (bpfvm.Status, error) {
	if err == bpfvm.ErrYield {
		c.Insns--
		return bpfvm.StatusYielded, nil
	}
	return bpfvm.StatusFault, err
}

// serve handles an exit of the generated code at c.PC:
// StatusPreempted with a nil error means "continue" (run checks the
// budget before entering again).
func (e *Engine) serve(c *bpfvm.Context, cd *code, st *state, target uint64) (bpfvm.Status, error) {
	pc := c.PC
	switch st.exitCode {
	case exitExit:
		return bpfvm.StatusExited, nil
	case exitCall:
		c.Insns++
		in := c.Prog.Insns[pc]
		r := &c.Regs
		var v uint64
		var err error
		if k := cd.refAt[pc]; k >= 0 {
			v, err = c.CallRef(&cd.refs[k], in.Src == bpfvm.CallKfunc, in.Imm, r[1], r[2], r[3], r[4], r[5])
		} else {
			v, err = c.CallFunc(in.Src == bpfvm.CallKfunc, in.Imm, r[1], r[2], r[3], r[4], r[5])
		}
		return called(c, pc, v, err)
	case exitBudget:
		if c.Insns < target {
			// a path from here may not fit: the interpreter runs
			// the rest of the quantum
			return e.interp.Run(c, target-c.Insns)
		}
	case exitStep:
		return e.interp.Run(c, 1)
	default:
		return bpfvm.StatusFault, &bpfvm.Fault{Prog: c.Prog, PC: pc, Reason: fmt.Sprintf("jit: unknown exit code %d", st.exitCode)}
	}
	return bpfvm.StatusPreempted, nil
}

// Forget drops this engine's reference to p's code (after p's
// instructions changed); VM.Forget drops the VM's.
func (e *Engine) Forget(p *bpfvm.Program) {
	forgets.Add(1)
	for k := range e.recent {
		if e.recent[k].p == p {
			e.recent[k].p, e.recent[k].c = noProg, nil
		}
	}
	e.interp.Forget(p)
}
