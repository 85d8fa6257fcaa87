package sim

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// The debug dump an error exit writes (scx_dump_state() in
// kernel/sched/ext.c, Linux 6.12): a header naming the exit, what
// ops.dump adds, then each CPU that is not idle (or every CPU when the
// policy has ops.dump_cpu) with its current and runnable sched_ext tasks,
// and what ops.dump_cpu and ops.dump_task add for them. The policy writes
// with scx_bpf_dump() (Kernel.DumpAppend). schedsim has no stack traces:
// the "Backtrace:" section is empty and tasks have none.

// ExitDumpDflLen is SCX_EXIT_DUMP_DFL_LEN, the dump's size when
// ops.exit_dump_len is 0.
const ExitDumpDflLen = 32768

// dumpLineLen is sizeof(scx_bstr_buf.line) (SCX_EXIT_MSG_LEN).
const dumpLineLen = 1024

const dumpTruncMarker = "\n\n~~~~ TRUNCATED ~~~~\n"

// dumpState is scx_dump_data plus the seq_buf being written.
type dumpState struct {
	cpu    int // the CPU allowed to call scx_bpf_dump, -1 outside ops.dump*
	first  bool
	line   []byte
	prefix string
	out    *strings.Builder
}

// Dumping reports whether an ops.dump* callback is running (the BPF
// bridge runs callbacks then, although the policy has failed).
func (k *Kernel) Dumping() bool { return k.m.dump != nil && k.m.dump.cpu >= 0 }

// DumpAppend is scx_bpf_dump_bstr() with the text already formatted: it
// appends to the dump's current line, which is written out when it ends
// with a newline or fills up. Outside ops.dump, ops.dump_cpu and
// ops.dump_task it is an error.
func (k *Kernel) DumpAppend(s string) {
	d := k.m.dump
	if d == nil || d.cpu != k.m.cur.cpu {
		k.m.scxError("scx_bpf_dump() must only be called from ops.dump() and friends")
		return
	}
	room := dumpLineLen - len(d.line)
	if len(s) > room {
		s = s[:room]
	}
	d.line = append(d.line, s...)
	if n := len(d.line); n > 0 && (n >= dumpLineLen || d.line[n-1] == '\n') {
		d.flush()
	}
}

// flush is ops_dump_flush(): each line of the buffer, after a blank line
// before the callback's first output.
func (d *dumpState) flush() {
	if len(d.line) == 0 {
		return
	}
	if d.first {
		d.out.WriteByte('\n')
		d.first = false
	}
	text := strings.TrimSuffix(string(d.line), "\n")
	for _, l := range strings.Split(text, "\n") {
		fmt.Fprintf(d.out, "%s%s\n", d.prefix, l)
	}
	d.line = d.line[:0]
}

// opsDump runs one dump callback writing into out with prefix
// (ops_dump_init() ... ops_dump_exit()).
func (m *Machine) opsDump(out *strings.Builder, prefix string, cb Callback, t *Task, fn func()) {
	m.dump = &dumpState{cpu: m.cur.cpu, first: true, prefix: prefix, out: out}
	m.call(m.cur.cpu, cb, t, func() int32 { fn(); return 0 })
	m.dump.flush()
	m.dump = nil
}

func dumpLine(out *strings.Builder, format string, args ...any) {
	fmt.Fprintf(out, format, args...)
	out.WriteByte('\n')
}

// dumpState writes the debug dump of an error exit (scx_dump_state()).
func (m *Machine) dumpState(info *ExitInfo) string {
	var out strings.Builder
	ctx := &DumpCtx{Kind: info.Kind, ExitCode: info.Code, Reason: info.Reason, AtNs: m.now, AtJiffies: m.jiffies(m.now)}
	d, _ := m.sched.(Dumper)
	has := func(cb Callback) bool { return d != nil && m.ops.Has(cb) }
	comm, pid := m.currComm(m.cpus[m.cur.cpu])
	dumpLine(&out, "%s[%d] triggered exit kind %d:", comm, pid, info.Kind)
	dumpLine(&out, "  %s (%s)", info.Reason, info.Msg)
	out.WriteByte('\n')
	dumpLine(&out, "Backtrace:")
	if has(CbDump) {
		m.opsDump(&out, "", CbDump, nil, func() { d.Dump(ctx) })
	}
	out.WriteByte('\n')
	dumpLine(&out, "CPU states")
	dumpLine(&out, "----------")
	for _, c := range m.cpus {
		var runnable []*Task
		for _, t := range m.tasks {
			if t.onExt() && t.cpu == c.ID && t.K.Scx.Flags&TaskQueued != 0 {
				runnable = append(runnable, t)
			}
		}
		// rq->scx.runnable_list: in the order the tasks became runnable
		slices.SortStableFunc(runnable, func(a, b *Task) int { return cmp.Compare(a.K.Scx.RunnableAt, b.K.Scx.RunnableAt) })
		idle := len(runnable) == 0 && c.curr == nil
		if idle && !has(CbDumpCPU) {
			continue
		}
		var ns strings.Builder
		ns.WriteByte('\n')
		rel := 0
		if c.cpuReleased {
			rel = 1
		}
		dumpLine(&ns, "CPU %-4d: nr_run=%d flags=0x%x cpu_rel=%d pnt_seq=%d", c.ID, len(runnable), 1, rel, c.pntSeq)
		cc, cp := m.currComm(c)
		dumpLine(&ns, "          curr=%s[%d] class=%s", cc, cp, classSym(c.curr))
		used := ns.Len()
		if has(CbDumpCPU) {
			// on the CPU making the dump, as all the dump callbacks
			m.opsDump(&ns, "  ", CbDumpCPU, nil, func() { d.DumpCPU(ctx, int32(c.ID), idle) })
		}
		if idle && ns.Len() == used {
			continue
		}
		out.WriteString(ns.String())
		if c.curr != nil && c.curr.onExt() {
			m.dumpTask(&out, ctx, d, has(CbDumpTask), c.curr, '*')
		}
		for _, t := range runnable {
			m.dumpTask(&out, ctx, d, has(CbDumpTask), t, ' ')
		}
	}
	s := out.String()
	limit := int(m.ops.ExitDumpLen)
	if limit == 0 {
		limit = ExitDumpDflLen
	}
	if len(s) >= limit && limit >= len(dumpTruncMarker) {
		s = s[:limit-len(dumpTruncMarker)] + dumpTruncMarker
	} else if len(s) >= limit {
		s = s[:limit]
	}
	return s
}

// dumpTask is scx_dump_task().
func (m *Machine) dumpTask(out *strings.Builder, ctx *DumpCtx, d Dumper, hasOp bool, t *Task, marker byte) {
	dsq := "(n/a)"
	dsqFlags := 0
	if t.dsq != nil {
		id := t.dsq.ID
		if t.dsq.local >= 0 {
			id = DSQLocal // a local DSQ's id is SCX_DSQ_LOCAL (init_dsq())
		}
		dsq = fmt.Sprintf("0x%x", id)
		if t.dsq.isPriq() {
			dsqFlags = 1 // SCX_TASK_DSQ_ON_PRIQ
		}
	}
	opsState := 0 // SCX_OPSS_NONE
	switch {
	case t.queueing:
		opsState = 1 // SCX_OPSS_QUEUEING
	case t.opsQueued:
		opsState = 2 // SCX_OPSS_QUEUED
	}
	scxState := 2 // SCX_TASK_READY
	if t.enabled {
		scxState = 3 // SCX_TASK_ENABLED
	}
	out.WriteByte('\n')
	dumpLine(out, " %c%c %s[%d] %+dms", marker, stateChar(t), t.Comm, t.PID, m.jiffiesDeltaMs(t.K.Scx.RunnableAt))
	dumpLine(out, "      scx_state/flags=%d/0x%x dsq_flags=0x%x ops_state/qseq=%d/%d",
		scxState, t.K.Scx.Flags, dsqFlags, opsState, t.qseq)
	dumpLine(out, "      sticky/holding_cpu=%d/%d dsq_id=%s dsq_vtime=%d",
		t.K.Scx.StickyCPU, t.K.Scx.HoldingCPU, dsq, t.K.Scx.DsqVtime)
	dumpLine(out, "      cpus=%s", m.cpumaskString(&t.K.CpusMask))
	if hasOp {
		m.opsDump(out, "    ", CbDumpTask, t, func() { d.DumpTask(ctx, t) })
	}
}

// jiffiesDeltaMs is jiffies_delta_msecs(ns's jiffy, now).
func (m *Machine) jiffiesDeltaMs(ns uint64) int64 {
	at, now := m.jiffies(ns), m.jiffies(m.now)
	if at > now {
		return int64((at - now) * 1000 / uint64(m.P.HZ))
	}
	return -int64((now - at) * 1000 / uint64(m.P.HZ))
}

// currComm is rq->curr's comm and pid: the idle task is swapper/N, pid 0.
func (m *Machine) currComm(c *CPU) (string, int32) {
	if c.curr == nil {
		return fmt.Sprintf("swapper/%d", c.ID), 0
	}
	return c.curr.Comm, c.curr.PID
}

// classSym is rq->curr->sched_class as %ps prints it.
func classSym(t *Task) string {
	switch {
	case t == nil:
		return "idle_sched_class"
	case t.class == ClassRT:
		return "rt_sched_class"
	case t.class == ClassFair:
		return "fair_sched_class"
	}
	return "ext_sched_class"
}

// stateChar is task_state_to_char().
func stateChar(t *Task) byte {
	switch t.state {
	case TaskSleeping:
		return 'S'
	case TaskExited:
		return 'X'
	case TaskNew:
		return 'N'
	}
	return 'R'
}

// cpumaskString is %*pb of a cpumask of the machine's CPUs: hex, 32 bits a
// group, most significant first, the first group as wide as its bits need.
func (m *Machine) cpumaskString(mask *CPUMask) string {
	n := len(m.cpus)
	var groups []string
	for hi := ((n - 1) / 32) * 32; hi >= 0; hi -= 32 {
		var v uint64
		for b := 0; b < 32 && hi+b < n; b++ {
			if mask.Test(hi + b) {
				v |= 1 << b
			}
		}
		w := 8
		if len(groups) == 0 {
			w = (min(n-hi, 32) + 3) / 4
		}
		groups = append(groups, fmt.Sprintf("%0*x", w, v))
	}
	return strings.Join(groups, ",")
}
