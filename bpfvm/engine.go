package bpfvm

// Engine executes BPF instructions on a Context. The interpreter is the
// first engine; the JIT (package jit) is the second, behind the same
// protocol, so that both run the same tests and compare exactly.
//
// The protocol: a Context holds the complete state of a suspended program
// (Prog, PC, Regs, Frames[:Depth], instruction counters). Run continues
// from that state and returns
//   - StatusExited when the frame at depth Base exits (Depth becomes
//     Base-1, r0 in Regs[0]);
//   - StatusPreempted when it has executed quantum instructions
//     (quantum 0: no limit), PC at the next instruction to execute;
//   - StatusYielded when a helper or kfunc returned ErrYield, PC at the
//     call, which the next Run makes again (it is not counted twice);
//   - StatusFault and a *Fault for a run-time error, including a program
//     that executes more than Limit instructions since Start.
//
// An engine must count every executed instruction in Context.Insns, charge
// helper and kfunc costs to Context.Cost, and serve calls the same way as
// the interpreter (Context.CallFunc, CallSubprog, FrameTop) so that results
// compare exactly.
// Engines are not safe for concurrent use; neither is anything else here.
type Engine interface {
	// Name identifies the engine in messages and benchmarks ("interp", "jit").
	Name() string
	// Run continues the program on c; see the protocol above.
	Run(c *Context, quantum uint64) (Status, error)
}

// Status says how a Run ended.
type Status uint8

const (
	// StatusExited: the program returned; its r0 is in Context.Regs[0].
	StatusExited Status = iota
	// StatusPreempted: the quantum was used up; Run continues the program.
	StatusPreempted
	// StatusYielded: a helper or kfunc returned ErrYield; Run makes the
	// call again.
	StatusYielded
	// StatusFault: the program faulted; Run returned the *Fault.
	StatusFault
)

func (s Status) String() string {
	switch s {
	case StatusExited:
		return "exited"
	case StatusPreempted:
		return "preempted"
	case StatusYielded:
		return "yielded"
	case StatusFault:
		return "fault"
	}
	return "Status(?)"
}
