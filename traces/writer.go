package traces

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/schedsim/schedsim/sim"
)

// Format is a trace file format.
type Format string

const (
	// Perfetto is the Perfetto protobuf trace format (.pftrace,
	// .perfetto-trace).
	Perfetto Format = "perfetto"
	// PerfettoCompact is Perfetto with the compact encoding of switches
	// and wakings (Options.CompactSched).
	PerfettoCompact Format = "perfetto-compact"
	// Chrome is Chrome's JSON trace event format (.json).
	Chrome Format = "json"
	// Ftrace is the text of the kernel's tracing "trace" file (.txt),
	// timestamps in microseconds as the kernel prints them.
	Ftrace Format = "ftrace"
	// FtraceNs is Ftrace with nanosecond timestamps (as trace-cmd report
	// -t prints them).
	FtraceNs Format = "ftrace-ns"
)

// Formats lists the formats, for messages.
var Formats = []Format{Perfetto, PerfettoCompact, Chrome, Ftrace, FtraceNs}

// FormatFor returns the format named by explicit, or else the one the
// file's extension implies.
func FormatFor(path, explicit string) (Format, error) {
	if explicit != "" {
		for _, f := range Formats {
			if string(f) == explicit {
				return f, nil
			}
		}
		switch explicit {
		case "pftrace", "perfetto-trace", "proto":
			return Perfetto, nil
		case "chrome":
			return Chrome, nil
		case "txt", "text":
			return Ftrace, nil
		}
		return "", fmt.Errorf("unknown trace format %q; expected one of %s", explicit, formatList())
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pftrace", ".perfetto-trace", ".pb":
		return Perfetto, nil
	case ".json":
		return Chrome, nil
	case ".txt", ".trace":
		return Ftrace, nil
	}
	return "", fmt.Errorf("cannot tell the trace format of %q from its extension (.pftrace, .perfetto-trace, .json, .txt); give one of %s", path, formatList())
}

func formatList() string {
	s := make([]string, len(Formats))
	for i, f := range Formats {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// Options configure a writer.
type Options struct {
	// CPUs is the machine's CPU count (headers, per-CPU state).
	CPUs int
	// From and To bound the window written, in simulated ns; To == 0
	// means the end of the run.
	From, To uint64
	// Workloads names the run's workloads by group index (for the
	// request latency counters); unnamed groups are "workload N".
	Workloads []string
	// CompactSched writes a Perfetto trace's sched_switch and sched_waking
	// events in the compact encoding Perfetto's own recorder uses (about
	// a third of the size); other formats ignore it.
	CompactSched bool
	// Skip are the categories left out (the sched events are always
	// written); 0 writes everything.
	Skip Events
	// Kernel is the kernel release the trace claims (Perfetto reads the
	// sched_switch state bits by version); default "6.12.0-schedsim".
	Kernel string
}

func (o *Options) in(at uint64) bool { return at >= o.From && (o.To == 0 || at <= o.To) }

func (o *Options) workload(group int) string {
	if group >= 0 && group < len(o.Workloads) {
		return o.Workloads[group]
	}
	return "workload " + strconv.Itoa(group)
}

func (o *Options) kernel() string {
	if o.Kernel == "" {
		return "6.12.0-schedsim"
	}
	return o.Kernel
}

// Writer is a trace writer: a sim.Observer that must be closed after the
// run to flush what it buffered.
type Writer interface {
	sim.Observer
	// Close writes what is buffered and the format's trailer; it does not
	// close the underlying io.Writer. It returns the first write error.
	Close() error
}

// New returns a writer of format f writing to w.
func New(w io.Writer, f Format, o Options) (Writer, error) {
	wr, err := newWriter(w, f, o)
	if err != nil || o.Skip&EventAll == 0 {
		return wr, err
	}
	return filtered{Writer: wr, want: EventAll &^ o.Skip}, nil
}

func newWriter(w io.Writer, f Format, o Options) (Writer, error) {
	switch f {
	case Perfetto:
		return NewPerfetto(w, o), nil
	case PerfettoCompact:
		o.CompactSched = true
		return NewPerfetto(w, o), nil
	case Chrome:
		return NewChrome(w, o), nil
	case Ftrace:
		return NewFtrace(w, o, false), nil
	case FtraceNs:
		return NewFtrace(w, o, true), nil
	}
	return nil, fmt.Errorf("unknown trace format %q; expected one of %s", f, formatList())
}

// out is a buffered output that remembers its first error.
type out struct {
	w   *bufio.Writer
	err error
}

func newOut(w io.Writer) out { return out{w: bufio.NewWriterSize(w, 256<<10)} }

func (o *out) write(b []byte) {
	if o.err == nil {
		_, o.err = o.w.Write(b)
	}
}

func (o *out) str(s string) {
	if o.err == nil {
		_, o.err = o.w.WriteString(s)
	}
}

func (o *out) flush() error {
	if o.err == nil {
		o.err = o.w.Flush()
	}
	return o.err
}

// The kernel's view of a task, as its tracepoints print it.

// taskCommLen is TASK_COMM_LEN: comms are cut to 15 bytes.
const taskCommLen = 16

// swapperNames are the idle tasks' comms, made once.
var swapperNames = func() []string {
	s := make([]string, sim.NrCPUs)
	for i := range s {
		s[i] = "swapper/" + strconv.Itoa(i)
	}
	return s
}()

func comm(t *sim.Task, cpu int) string {
	if t == nil {
		if cpu >= 0 && cpu < len(swapperNames) {
			return swapperNames[cpu]
		}
		return "swapper/" + strconv.Itoa(cpu)
	}
	if len(t.Comm) >= taskCommLen {
		return t.Comm[:taskCommLen-1]
	}
	return t.Comm
}

func pid(t *sim.Task) int32 {
	if t == nil {
		return 0
	}
	return t.PID
}

func prio(t *sim.Task) int32 {
	if t == nil {
		return 120
	}
	if t.Class() == sim.ClassRT {
		return int32(sim.MaxRTPrio - 1 - t.RTPriority()) // p->prio of SCHED_FIFO
	}
	return 120 + int32(t.Nice)
}

// sched_switch prev_state values (include/trace/events/sched.h,
// __trace_sched_switch_state(): 1 << (task_state_index - 1), or
// TASK_REPORT_MAX for a preemption).
const (
	stateRunning   = 0
	stateSleeping  = 0x1   // TASK_INTERRUPTIBLE, "S"
	stateDead      = 0x10  // EXIT_DEAD, "X"
	statePreempted = 0x100 // TASK_REPORT_MAX, "R+"
)

// prevState is what sched_switch reports for prev leaving the CPU: the
// state it is in after the switch says why it left.
func prevState(t *sim.Task) int64 {
	if t == nil {
		return stateRunning
	}
	switch t.State() {
	case sim.TaskSleeping:
		return stateSleeping
	case sim.TaskExited:
		return stateDead
	}
	return statePreempted
}

func stateString(s int64) string {
	switch s {
	case stateSleeping:
		return "S"
	case stateDead:
		return "X"
	case statePreempted:
		return "R+"
	}
	return "R"
}

// dsqName names a DSQ for track names.
func dsqName(q *sim.DSQ) string {
	switch {
	case q.Local() >= 0:
		return "local cpu" + strconv.Itoa(q.Local())
	case q.ID == sim.DSQGlobal:
		return "global"
	}
	return "dsq " + strconv.FormatUint(q.ID, 10)
}

// kernelView is what the sched tracepoint writers remember between
// events: the task current on each CPU, where each task's wakeup is
// emitted, and the exits already written.
type kernelView struct {
	cur     []*sim.Task
	wakeCPU map[int32]int // the CPU of the task's sched_waking (or its parent's, at fork)
	exited  map[int32]bool
}

func newKernelView(ncpu int) kernelView {
	return kernelView{cur: make([]*sim.Task, max(ncpu, 1)), wakeCPU: map[int32]int{}, exited: map[int32]bool{}}
}

func (k *kernelView) curr(cpu int) *sim.Task {
	if cpu >= 0 && cpu < len(k.cur) {
		return k.cur[cpu]
	}
	return nil
}

func (k *kernelView) setCurr(cpu int, t *sim.Task) {
	for cpu >= len(k.cur) {
		k.cur = append(k.cur, nil)
	}
	k.cur[cpu] = t
}

// wakeupCPU is the CPU a wakeup of t to cpu is emitted on: the waker's
// (the parent's for a new task), as in the kernel.
func (k *kernelView) wakeupCPU(t *sim.Task, cpu int) int {
	on, ok := k.wakeCPU[t.PID]
	delete(k.wakeCPU, t.PID)
	if !ok {
		return cpu
	}
	return on
}

// exitWritten reports whether t's sched_process_exit was written already
// (before its last switch), and forgets it.
func (k *kernelView) exitWritten(t *sim.Task) bool {
	w := k.exited[t.PID]
	delete(k.exited, t.PID)
	return w
}
