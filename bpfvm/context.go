package bpfvm

// Context is an execution context: registers, call frames and a BPF stack in
// linear memory. Each simulated CPU has one. A program runs on a context until
// it exits, faults, or yields (ErrYield from a helper); a yielded context is
// resumed later by its owner.
type Context struct {
	VM   *VM
	Regs [11]uint64
	// CPU is the simulated CPU this context belongs to (bpf_get_smp_processor_id).
	CPU int
	// Insns counts instructions executed on this context since creation.
	Insns uint64
	// Cost accumulates simulated nanoseconds charged by helpers and kfuncs.
	Cost uint64
	// User is free for the embedder (e.g. the callback being run).
	User any
}
