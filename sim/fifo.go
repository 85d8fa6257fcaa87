package sim

import "fmt"

// FIFO is the Go reference FIFO policy, the oracle for the BPF FIFO in
// policies/fifo: one shared FIFO DSQ; select_cpu uses the default idle
// selection and dispatches directly to an idle CPU's local DSQ; dispatch
// moves the head of the shared DSQ to the local DSQ. (The same shape as
// scx_simple's FIFO mode in the kernel's tools/sched_ext.)
type FIFO struct {
	NopScheduler
	// Slice is the time slice given to every task; 0 means SCX_SLICE_DFL.
	// SliceInf gives run-to-completion FIFO.
	Slice uint64
	k     *Kernel
	// LocalQueued and GlobalQueued count the two enqueue paths, as
	// scx_simple's stats map does.
	LocalQueued, GlobalQueued uint64
}

// FIFOSharedDSQ is the id of the FIFO's shared DSQ.
const FIFOSharedDSQ = 0

func (f *FIFO) slice() uint64 {
	if f.Slice == 0 {
		return SliceDfl
	}
	return f.Slice
}

func (f *FIFO) Ops() Ops {
	return Ops{Name: "fifo", Implements: CbInit | CbSelectCPU | CbEnqueue | CbDispatch}
}

func (f *FIFO) Init(k *Kernel) error {
	f.k = k
	if r := k.CreateDSQ(FIFOSharedDSQ, -1); r != 0 {
		return errnoError(r)
	}
	return nil
}

func (f *FIFO) SelectCPU(p *Task, prev int32, wakeFlags uint64) int32 {
	cpu, idle := f.k.SelectCPUDfl(p, prev, wakeFlags)
	if idle {
		f.LocalQueued++
		f.k.DSQInsert(p, DSQLocal, f.slice(), 0)
	}
	return cpu
}

func (f *FIFO) Enqueue(p *Task, enqFlags uint64) {
	f.GlobalQueued++
	f.k.DSQInsert(p, FIFOSharedDSQ, f.slice(), enqFlags)
}

func (f *FIFO) Dispatch(cpu int32, prev *Task) {
	f.k.DSQMoveToLocal(FIFOSharedDSQ)
}

type errnoError int32

func (e errnoError) Error() string { return fmt.Sprintf("errno %d", -e) }
