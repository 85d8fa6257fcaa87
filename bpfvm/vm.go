package bpfvm

import (
	"errors"
	"fmt"
)

// VM is one BPF machine: a linear memory, the maps and globals living in it,
// the helpers and kfuncs it serves, and the programs loaded into it.
type VM struct {
	Mem      *Memory
	Registry *Registry
	Maps     []Map      // indexed by the map index of LD_IMM64 PseudoMapIdx
	Programs []*Program // every program loaded, in load order
	// NumCPUs sizes per-CPU maps and bounds Context.CPU.
	NumCPUs int
	// InsnCost is the simulated cost of one instruction in picoseconds;
	// the embedder reads Context.Insns and Context.Cost to charge time.
	InsnCost uint64
	// Timers serves bpf_timer on the embedder's simulated time (timer.go);
	// nil makes bpf_timer_start fault.
	Timers TimerHost
	// Native, if set, is the lock runtime's and clock's state that engines
	// may update themselves (native_lock.go). Set it before programs run.
	Native *NativeState

	mapState mapState // maps by address, bpf_timer table (load_vm.go)
	// decoded programs, shared by the interpreters of all the VM's
	// contexts (a VM's contexts never run concurrently)
	icodes map[*Program]*icode
	// compiled forms of programs kept by other engines (the JIT), shared
	// by all the VM's contexts
	compiled map[*Program]any
}

// Compiled returns what an engine stored for p with SetCompiled (nil if
// nothing): the JIT keeps a program's native code here, so that the
// contexts of a VM compile each program once.
func (vm *VM) Compiled(p *Program) any { return vm.compiled[p] }

// SetCompiled stores an engine's compiled form of p (see Compiled).
func (vm *VM) SetCompiled(p *Program, v any) {
	if vm.compiled == nil {
		vm.compiled = make(map[*Program]any)
	}
	vm.compiled[p] = v
}

// Forget drops the VM's shared decoded form of p (after p's instructions
// changed); each context's interpreter must Forget it too.
func (vm *VM) Forget(p *Program) {
	delete(vm.icodes, p)
	delete(vm.compiled, p)
}

// ErrYield, returned by a helper or kfunc, suspends the calling context
// before the call completes; Resume makes the call again.
var ErrYield = errors.New("bpfvm: context yields")

// Fault is a run-time error of a BPF program: an access outside the linear
// memory, a bad helper argument, a division the program asked to trap, an
// exhausted instruction budget, or an error returned by a helper.
type Fault struct {
	Prog   *Program
	PC     int    // instruction index inside Prog.Insns
	Reason string // what went wrong, in words
	Err    error  // underlying error, if any
}

func (f *Fault) Error() string {
	where := "?"
	if f.Prog != nil {
		where = f.Prog.Where(f.PC)
		if l, ok := f.Prog.LineFor(f.PC); ok && l.Source != "" {
			where += ": " + l.Source
		}
	}
	return fmt.Sprintf("BPF fault at %s: %s", where, f.Reason)
}

func (f *Fault) Unwrap() error { return f.Err }
