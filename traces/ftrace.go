package traces

import (
	"io"
	"strconv"

	"github.com/schedsim/schedsim/sim"
)

// FtraceWriter writes the run as the text of the kernel's tracing "trace"
// file with the sched events enabled (Documentation/trace/ftrace.rst):
//
//	<comm>-<pid> [cpu] flags  secs.usecs: event: fields
//
// with each event's fields exactly as its TP_printk in
// include/trace/events/sched.h (Linux 6.12) prints them: sched_switch,
// sched_waking, sched_wakeup, sched_wakeup_new, sched_process_exit.
// sched_process_exit comes before the exiting task's last sched_switch,
// from its own context, as in do_exit().
type FtraceWriter struct {
	sim.BaseObserver
	o    out
	opts Options
	ns   bool
	kernelView
	buf []byte
}

// NewFtrace returns an ftrace text writer; ns selects nanosecond
// timestamps (trace-cmd report -t) instead of the kernel's microseconds.
func NewFtrace(w io.Writer, o Options, ns bool) *FtraceWriter {
	f := &FtraceWriter{o: newOut(w), opts: o, ns: ns, kernelView: newKernelView(o.CPUs)}
	// The kernel's header also counts the entries; a stream cannot know
	// them in advance, so that line is left out.
	f.o.str("# tracer: nop\n#\n")
	f.o.str(ftraceHeader)
	return f
}

// ftraceHeader is the column legend of the trace file with irq-info on.
const ftraceHeader = `#                                _-----=> irqs-off/BH-disabled
#                               / _----=> need-resched
#                              | / _---=> hardirq/softirq
#                              || / _--=> preempt-depth
#                              ||| / _-=> migrate-disable
#                              |||| /     delay
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
`

// line starts an event line: the context (current task, CPU, flags,
// timestamp) and the event name.
func (f *FtraceWriter) line(at uint64, cpu int, cur *sim.Task, flags, event string) []byte {
	b := f.buf[:0]
	c := "<idle>"
	if cur != nil {
		c = comm(cur, cpu)
	}
	b = padLeft(b, c, 16)
	b = append(b, '-')
	n := len(b)
	b = strconv.AppendInt(b, int64(pid(cur)), 10)
	b = padTo(b, n+7)
	b = append(b, " ["...)
	b = zeroPad(b, int64(cpu), 3)
	b = append(b, "] "...)
	b = append(b, flags...)
	b = append(b, ' ')
	secs := at / 1e9
	for x, n := secs, 1; n < 5; n++ {
		if x /= 10; x == 0 {
			b = append(b, ' ')
		}
	}
	b = strconv.AppendUint(b, secs, 10)
	b = append(b, '.')
	if f.ns {
		b = zeroPad(b, int64(at%1e9), 9)
	} else {
		b = zeroPad(b, int64(at%1e9/1e3), 6)
	}
	b = append(b, ": "...)
	b = append(b, event...)
	b = append(b, ": "...)
	return b
}

func (f *FtraceWriter) end(b []byte) {
	b = append(b, '\n')
	f.o.write(b)
	f.buf = b
}

func padLeft(b []byte, s string, w int) []byte {
	for i := len(s); i < w; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

func padTo(b []byte, n int) []byte {
	for len(b) < n {
		b = append(b, ' ')
	}
	return b
}

// zeroPad appends v (>= 0) with leading zeros to w digits.
func zeroPad(b []byte, v int64, w int) []byte {
	n := 1
	for x := v; x >= 10; x /= 10 {
		n++
	}
	for ; n < w; n++ {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, v, 10)
}

func kv(b []byte, key, val string) []byte {
	b = append(b, key...)
	b = append(b, '=')
	return append(b, val...)
}

func kvInt(b []byte, key string, v int64) []byte {
	b = append(b, key...)
	b = append(b, '=')
	return strconv.AppendInt(b, v, 10)
}

// wakeupLine writes an event of the sched_wakeup_template class.
func (f *FtraceWriter) wakeupLine(at uint64, cpu int, event string, t *sim.Task, target int) {
	flags := "d..2."
	if t.WokenByTimer() {
		flags = "d.h2." // a timer's wakeup runs in hardirq context
	}
	b := f.line(at, cpu, f.curr(cpu), flags, event)
	b = kv(b, "comm", comm(t, 0))
	b = kvInt(append(b, ' '), "pid", int64(t.PID))
	b = kvInt(append(b, ' '), "prio", int64(prio(t)))
	b = append(b, " target_cpu="...)
	b = zeroPad(b, int64(target), 3)
	f.end(b)
}

// Fork implements sim.Observer: sched_wakeup_new comes from the parent's
// CPU, where the child starts.
func (f *FtraceWriter) Fork(at uint64, t *sim.Task) { f.wakeCPU[t.PID] = t.CPU() }

// Waking implements sim.Observer (sched_waking, on the waker's CPU).
func (f *FtraceWriter) Waking(at uint64, t *sim.Task, wakerCPU int) {
	f.wakeCPU[t.PID] = wakerCPU
	if f.opts.in(at) {
		f.wakeupLine(at, wakerCPU, "sched_waking", t, t.CPU())
	}
}

// Wakeup implements sim.Observer (sched_wakeup, sched_wakeup_new).
func (f *FtraceWriter) Wakeup(at uint64, t *sim.Task, cpu int, isNew bool) {
	on := f.wakeupCPU(t, cpu)
	if !f.opts.in(at) {
		return
	}
	ev := "sched_wakeup"
	if isNew {
		ev = "sched_wakeup_new"
	}
	f.wakeupLine(at, on, ev, t, cpu)
}

// Switch implements sim.Observer (sched_switch).
func (f *FtraceWriter) Switch(at uint64, cpu int, prev, next *sim.Task) {
	f.setCurr(cpu, next)
	if !f.opts.in(at) {
		return
	}
	st := prevState(prev)
	if st == stateDead {
		f.exit(at, cpu, prev)
	}
	b := f.line(at, cpu, prev, "d..2.", "sched_switch")
	b = kv(b, "prev_comm", comm(prev, cpu))
	b = kvInt(append(b, ' '), "prev_pid", int64(pid(prev)))
	b = kvInt(append(b, ' '), "prev_prio", int64(prio(prev)))
	b = kv(append(b, ' '), "prev_state", stateString(st))
	b = kv(append(b, " ==> "...), "next_comm", comm(next, cpu))
	b = kvInt(append(b, ' '), "next_pid", int64(pid(next)))
	b = kvInt(append(b, ' '), "next_prio", int64(prio(next)))
	f.end(b)
}

func (f *FtraceWriter) exit(at uint64, cpu int, t *sim.Task) {
	f.exited[t.PID] = true
	b := f.line(at, cpu, t, ".....", "sched_process_exit")
	b = kv(b, "comm", comm(t, cpu))
	b = kvInt(append(b, ' '), "pid", int64(t.PID))
	b = kvInt(append(b, ' '), "prio", int64(prio(t)))
	f.end(b)
}

// Exit implements sim.Observer: sched_process_exit, unless it was written
// before the task's last switch.
func (f *FtraceWriter) Exit(at uint64, t *sim.Task) {
	if !f.exitWritten(t) && f.opts.in(at) {
		f.exit(at, t.CPU(), t)
		f.exitWritten(t)
	}
}

// Close flushes the text.
func (f *FtraceWriter) Close() error { return f.o.flush() }
