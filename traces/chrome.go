package traces

import (
	"io"
	"strconv"

	"github.com/schedsim/schedsim/sim"
)

// Chrome JSON processes (pid) grouping the tracks.
const (
	chromeCPUs      = 1 // a thread per CPU: the task running, as X slices
	chromeCallbacks = 2 // a thread per CPU: sched_ext callbacks
	chromeLocks     = 3 // a thread per CPU and lock: waits and holds
	chromeDSQs      = 4 // counters: DSQ depths
	chromeTasks     = 5 // counters: per-task policy figures
	chromeRun       = 6 // instants: ejection, deadlocks
)

// ChromeWriter writes the run as Chrome JSON trace events (the
// {"traceEvents": [...]} object form): the task on each CPU and each
// callback as complete ("X") events, DSQ depths and policy counters as
// counter ("C") events, lock waits and holds as slices, ejections,
// deadlocks and printk lines as instants. Timestamps are microseconds
// with nanosecond decimals.
type ChromeWriter struct {
	sim.BaseObserver
	o        out
	opts     Options
	first    bool
	cpus     []chromeCPU
	lockTid  map[string]int
	lockAt   map[int][2]uint64 // by lock thread: wait start, hold start (+1; 0 = none)
	named    map[int]bool      // CPU threads named
	last     uint64            // the time of the last event seen
	dsqNames map[*sim.DSQ]string
	b        []byte
}

type chromeCPU struct {
	run   *sim.Task
	since uint64
	cbs   []uint64 // start times of the callbacks in progress
}

// NewChrome returns a Chrome JSON trace writer.
func NewChrome(w io.Writer, o Options) *ChromeWriter {
	c := &ChromeWriter{o: newOut(w), opts: o, first: true, lockTid: map[string]int{},
		lockAt: map[int][2]uint64{}, named: map[int]bool{}, dsqNames: map[*sim.DSQ]string{}}
	c.o.str(`{"displayTimeUnit":"ns","otherData":{"generator":"schedsim"},"traceEvents":[` + "\n")
	for _, pn := range []struct {
		pid  int
		name string
	}{{chromeCPUs, "CPUs"}, {chromeCallbacks, "sched_ext callbacks"}, {chromeLocks, "BPF locks"},
		{chromeDSQs, "DSQs"}, {chromeTasks, "task counters"}, {chromeRun, "run"}} {
		c.meta("process_name", pn.pid, 0, pn.name)
		c.meta("process_sort_index", pn.pid, 0, "")
	}
	return c
}

func (c *ChromeWriter) start() []byte {
	b := c.b[:0]
	if !c.first {
		b = append(b, ",\n"...)
	}
	c.first = false
	return b
}

func (c *ChromeWriter) done(b []byte) {
	c.o.write(b)
	c.b = b
}

func (c *ChromeWriter) meta(name string, pid, tid int, val string) {
	b := c.start()
	b = append(b, `{"ph":"M","name":"`...)
	b = append(b, name...)
	b = append(b, `","pid":`...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, int64(tid), 10)
	if name == "process_sort_index" {
		b = append(b, `,"args":{"sort_index":`...)
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, "}}"...)
	} else {
		b = append(b, `,"args":{"name":`...)
		b = strconv.AppendQuote(b, val)
		b = append(b, "}}"...)
	}
	c.done(b)
}

// us appends ns as microseconds with three decimals.
func us(b []byte, ns uint64) []byte {
	b = strconv.AppendUint(b, ns/1000, 10)
	b = append(b, '.')
	return zeroPad(b, int64(ns%1000), 3)
}

// ev starts an event object: phase, name, pid, tid, ts.
func (c *ChromeWriter) ev(ph byte, name string, pid, tid int, at uint64) []byte {
	b := c.start()
	b = append(b, `{"ph":"`...)
	b = append(b, ph)
	b = append(b, `","name":`...)
	b = strconv.AppendQuote(b, name)
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendInt(b, int64(tid), 10)
	b = append(b, `,"ts":`...)
	return us(b, at)
}

// complete writes an "X" event from `from` to `to`, clipped to the window.
func (c *ChromeWriter) complete(name string, pid, tid int, from, to uint64, args string) {
	if to < c.opts.From || (c.opts.To != 0 && from > c.opts.To) {
		return
	}
	from = max(from, c.opts.From)
	if c.opts.To != 0 {
		to = min(to, c.opts.To)
	}
	b := c.ev('X', name, pid, tid, from)
	b = append(b, `,"dur":`...)
	b = us(b, to-from)
	if args != "" {
		b = append(b, `,"args":{`...)
		b = append(b, args...)
		b = append(b, '}')
	}
	c.done(append(b, '}'))
}

func (c *ChromeWriter) cpu(i int) *chromeCPU {
	for i >= len(c.cpus) {
		c.cpus = append(c.cpus, chromeCPU{})
	}
	if !c.named[i] {
		c.named[i] = true
		c.meta("thread_name", chromeCPUs, i, "cpu"+strconv.Itoa(i))
		c.meta("thread_name", chromeCallbacks, i, "cpu"+strconv.Itoa(i))
	}
	return &c.cpus[i]
}

func taskArgs(t *sim.Task) string {
	return `"pid":` + strconv.Itoa(int(t.PID)) + `,"comm":` + strconv.Quote(t.Comm)
}

// Switch implements sim.Observer: the previous task's run ends.
func (c *ChromeWriter) Switch(at uint64, cpu int, prev, next *sim.Task) {
	c.last = at
	cc := c.cpu(cpu)
	if cc.run != nil {
		c.complete(cc.run.Comm, chromeCPUs, cpu, cc.since, at,
			taskArgs(cc.run)+`,"end_state":"`+stateString(prevState(prev))+`"`)
	}
	cc.run, cc.since = next, at
}

// CallbackStart implements sim.Observer.
func (c *ChromeWriter) CallbackStart(at uint64, cpu int, cb sim.Callback, t *sim.Task) {
	cc := c.cpu(cpu)
	cc.cbs = append(cc.cbs, at)
}

// CallbackEnd implements sim.Observer: the callback as an "X" event.
func (c *ChromeWriter) CallbackEnd(at uint64, cpu int, cb sim.Callback, t *sim.Task, e sim.CallbackEnd) {
	c.last = at
	cc := c.cpu(cpu)
	if len(cc.cbs) == 0 {
		return
	}
	from := cc.cbs[len(cc.cbs)-1]
	cc.cbs = cc.cbs[:len(cc.cbs)-1]
	args := `"insns":` + strconv.FormatUint(e.Insns, 10) + `,"cost_ns":` + strconv.FormatUint(e.Ns, 10) +
		`,"ret":` + strconv.Itoa(int(e.Ret))
	if t != nil {
		args += "," + taskArgs(t)
	}
	c.complete(cb.String(), chromeCallbacks, cpu, from, at, args)
}

func (c *ChromeWriter) counterEv(name string, pid int, at uint64, key string, v string) {
	if !c.opts.in(at) {
		return
	}
	b := c.ev('C', name, pid, 0, at)
	b = append(b, `,"args":{`...)
	b = strconv.AppendQuote(b, key)
	b = append(b, ':')
	b = append(b, v...)
	c.done(append(b, "}}"...))
}

// DSQ implements sim.Observer: the depth as a counter.
func (c *ChromeWriter) DSQ(at uint64, q *sim.DSQ, t *sim.Task, inserted bool) {
	c.last = at
	if !c.opts.in(at) {
		return
	}
	name, ok := c.dsqNames[q]
	if !ok {
		name = "DSQ " + dsqName(q)
		c.dsqNames[q] = name
	}
	c.counterEv(name, chromeDSQs, at, "depth", strconv.Itoa(q.Len()))
}

// Request implements sim.Observer: request latencies as a counter per
// workload.
func (c *ChromeWriter) Request(at uint64, group int, latency uint64) {
	c.counterEv("latency "+c.opts.workload(group), chromeDSQs, at, "ns", strconv.FormatUint(latency, 10))
}

func (c *ChromeWriter) instant(name string, pid, tid int, at uint64, scope byte, args string) {
	if !c.opts.in(at) {
		return
	}
	b := c.ev('i', name, pid, tid, at)
	b = append(b, `,"s":"`...)
	b = append(b, scope, '"')
	if args != "" {
		b = append(b, `,"args":{`...)
		b = append(b, args...)
		b = append(b, '}')
	}
	c.done(append(b, '}'))
}

// Ejected implements sim.Observer.
func (c *ChromeWriter) Ejected(at uint64, e *sim.Ejection) {
	c.instant("ejected: "+e.Info.Reason, chromeRun, 0, at, 'g',
		`"policy":`+strconv.Quote(e.Policy)+`,"msg":`+strconv.Quote(e.Info.Msg))
}

func (c *ChromeWriter) lockThread(cpu int, name string) int {
	k := strconv.Itoa(cpu) + "/" + name
	tid, ok := c.lockTid[k]
	if !ok {
		tid = len(c.lockTid) + 1
		c.lockTid[k] = tid
		c.meta("thread_name", chromeLocks, tid, "cpu"+strconv.Itoa(cpu)+" "+name)
	}
	return tid
}

// Policy implements sim.Observer.
func (c *ChromeWriter) Policy(at uint64, cpu int, ev sim.PolicyEvent) {
	switch ev.Kind {
	case sim.PolicyLockWait:
		tid := c.lockThread(cpu, ev.Name)
		s := c.lockAt[tid]
		s[0] = at + 1
		c.lockAt[tid] = s
	case sim.PolicyLockAcquire:
		tid := c.lockThread(cpu, ev.Name)
		s := c.lockAt[tid]
		if s[0] != 0 {
			c.complete("wait "+ev.Name, chromeLocks, tid, s[0]-1, at, `"site":`+strconv.Quote(ev.Site))
		}
		c.lockAt[tid] = [2]uint64{0, at + 1}
	case sim.PolicyLockRelease:
		tid := c.lockThread(cpu, ev.Name)
		if s := c.lockAt[tid]; s[1] != 0 {
			c.complete("hold "+ev.Name, chromeLocks, tid, s[1]-1, at, "")
		}
		c.lockAt[tid] = [2]uint64{}
	case sim.PolicyCounter:
		c.counterEv(ev.Name+" pid "+strconv.Itoa(int(ev.PID)), chromeTasks, at, ev.Name,
			strconv.FormatFloat(ev.Value, 'g', -1, 64))
	case sim.PolicyDeadlock:
		c.instant("deadlock "+ev.Name, chromeRun, 0, at, 'g', `"report":`+strconv.Quote(ev.Text))
	case sim.PolicyPrintk:
		c.cpu(cpu)
		c.instant(ev.Text, chromeCallbacks, cpu, at, 't', "")
	}
}

// Close ends the runs still on the CPUs at the last event seen and writes
// the JSON trailer.
func (c *ChromeWriter) Close() error {
	for i := range c.cpus {
		if cc := &c.cpus[i]; cc.run != nil {
			c.complete(cc.run.Comm, chromeCPUs, i, cc.since, c.last, taskArgs(cc.run))
			cc.run = nil
		}
	}
	c.o.str("\n]}\n")
	return c.o.flush()
}
