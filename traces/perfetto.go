package traces

import (
	"io"
	"strconv"

	"github.com/schedsim/schedsim/sim"
	"google.golang.org/protobuf/encoding/protowire"
)

// cpuBundle is a CPU's FtraceEventBundle being filled.
type cpuBundle struct {
	events  msg
	n       int
	compact compactSched // with Options.CompactSched
}

// bundleMax bounds the events a CPU buffers before its bundle is written.
const bundleMax = 1024

type trackKind uint8

const (
	trkCallbacks trackKind = iota
	trkDSQ
	trkLock
	trkCounter
	trkThread
	trkRequest
)

type trackKey struct {
	kind trackKind
	id   int64
	name string
}

// PerfettoWriter writes the run as a Perfetto protobuf trace: the kernel's
// sched events as ftrace events in one FtraceEventBundle per CPU (so that
// Perfetto draws its CPU tracks and thread states), process and thread
// descriptors naming every task, and track events for what only the
// simulator knows: callbacks as slices on a track per CPU (callback,
// task, instructions, cost), DSQ depths and per-task policy figures as
// counters, lock waits and holds as slices on a track per CPU and lock,
// ejections, deadlock reports and bpf_printk lines as instants.
type PerfettoWriter struct {
	sim.BaseObserver
	o    out
	opts Options
	cpus []cpuBundle
	kernelView
	tracks   map[trackKey]uint64
	open     map[uint64]int // slices begun (in the window) and not ended, by track
	waiting  map[uint64]bool
	nextUUID uint64
	seqStart bool
	pkt, ev  msg
	sub      msg
	te, body msg // track event and its packet, reused
	scratch  msg // packed arrays of compact sched events
	da       msg // a debug annotation, reused
	// interned strings by kind (event names, annotation names, annotation
	// values), and the entries interned since the last packet
	interned  [3]map[string]uint64
	newIntern msg
	ie        msg // an interned entry, reused
}

// globalTrack is the track of run-wide instants (ejection, deadlocks).
const globalTrack = 1

// NewPerfetto returns a Perfetto trace writer.
func NewPerfetto(w io.Writer, o Options) *PerfettoWriter {
	p := &PerfettoWriter{o: newOut(w), opts: o, cpus: make([]cpuBundle, max(o.CPUs, 1)),
		kernelView: newKernelView(o.CPUs),
		tracks:     map[trackKey]uint64{}, open: map[uint64]int{}, waiting: map[uint64]bool{}, nextUUID: globalTrack + 1,
		interned: [3]map[string]uint64{{}, {}, {}}}
	// The kernel release tells trace_processor how to read sched_switch's
	// prev_state bits (TASK_REPORT_MAX is 0x100 from 4.14 on).
	uts := msg(nil).str(fUtsSysname, "Linux").str(fUtsRelease, o.kernel()).str(fUtsMachine, "x86_64")
	p.packet(msg(nil).bytes(fPacketSystemInfo, msg(nil).bytes(fSysInfoUtsname, uts)))
	p.descriptor(0, msg(nil).uint(fTdUUID, globalTrack).str(fTdName, "schedsim"))
	return p
}

// packet writes one TracePacket.
func (p *PerfettoWriter) packet(body msg) {
	p.pkt = protowire.AppendTag(p.pkt[:0], fTracePacket, protowire.BytesType)
	p.pkt = protowire.AppendBytes(p.pkt, body)
	p.o.write(p.pkt)
}

// seq appends the sequence fields of a track-event packet.
func (p *PerfettoWriter) seq(m msg) msg {
	m = m.uint(fPacketSeqID, 1)
	if !p.seqStart {
		p.seqStart = true
		m = m.uint(fPacketSequenceFlags, seqIncrementalCleared).uint(fPacketFirstOnSequence, 1)
	} else {
		m = m.uint(fPacketSequenceFlags, seqNeedsIncrementalStat)
	}
	return m
}

func (p *PerfettoWriter) descriptor(at uint64, td msg) {
	m := p.seq(msg(nil).uint(fPacketTimestamp, at))
	p.packet(m.bytes(fPacketTrackDescriptor, td))
}

// track returns the uuid of a track, describing it on first use.
func (p *PerfettoWriter) track(at uint64, k trackKey) uint64 {
	if u, ok := p.tracks[k]; ok {
		return u
	}
	u := p.nextUUID
	p.nextUUID++
	p.tracks[k] = u
	td := msg(nil).uint(fTdUUID, u)
	switch k.kind {
	case trkCallbacks:
		td = td.str(fTdName, "cpu"+strconv.FormatInt(k.id, 10)+" sched_ext")
	case trkDSQ:
		td = td.str(fTdName, "DSQ "+k.name).bytes(fTdCounter, msg(nil).uint(fCdUnit, unitCount))
	case trkLock:
		td = td.str(fTdName, "cpu"+strconv.FormatInt(k.id, 10)+" lock "+k.name)
	case trkRequest:
		td = td.str(fTdName, "latency "+k.name).bytes(fTdCounter, msg(nil).uint(fCdUnit, unitTimeNs))
	case trkCounter:
		parent := p.thread(at, int32(k.id), "")
		td = td.str(fTdName, k.name).uint(fTdParent, parent).bytes(fTdCounter, nil)
	}
	p.descriptor(at, td)
	return u
}

// thread describes task pid's process and thread (each simulated task is
// its own process, as its tgid is its pid) and returns the thread track.
func (p *PerfettoWriter) thread(at uint64, pid int32, name string) uint64 {
	k := trackKey{kind: trkThread, id: int64(pid)}
	if u, ok := p.tracks[k]; ok {
		return u
	}
	pu, tu := p.nextUUID, p.nextUUID+1
	p.nextUUID += 2
	p.tracks[k] = tu
	p.descriptor(at, msg(nil).uint(fTdUUID, pu).bytes(fTdProcess,
		msg(nil).int(fPdPid, int64(pid)).str(fPdName, name)))
	p.descriptor(at, msg(nil).uint(fTdUUID, tu).uint(fTdParent, pu).bytes(fTdThread,
		msg(nil).int(fThPid, int64(pid)).int(fThTid, int64(pid)).str(fThName, name)))
	return tu
}

// ftrace adds an event to cpu's bundle: fields is the event's message,
// num its field in FtraceEvent, cur the task current on the CPU.
func (p *PerfettoWriter) ftrace(at uint64, cpu int, cur *sim.Task, num protowire.Number, fields msg) {
	p.ftraceFlags(at, cpu, cur, num, fields, 0)
}

// bundle returns cpu's bundle.
func (p *PerfettoWriter) bundle(cpu int) *cpuBundle {
	for cpu >= len(p.cpus) {
		p.cpus = append(p.cpus, cpuBundle{})
	}
	return &p.cpus[cpu]
}

// counted counts an event added to cpu's bundle, writing the bundle when
// it is full.
func (p *PerfettoWriter) counted(cpu int) {
	b := &p.cpus[cpu]
	b.n++
	if b.n >= bundleMax {
		p.flushCPU(cpu)
	}
}

// ftraceFlags is ftrace with the event's common_flags.
func (p *PerfettoWriter) ftraceFlags(at uint64, cpu int, cur *sim.Task, num protowire.Number, fields msg, flags uint64) {
	p.bundle(cpu)
	// timestamp, pid, then the event: the order trace_processor's
	// tokenizer reads fastest; common_flags after them.
	ev := msg(p.ev[:0]).uint(fFtraceTimestamp, at).uint(fFtracePid, uint64(pid(cur))).bytes(num, fields)
	if flags != 0 {
		ev = ev.uint(fFtraceCommonFlags, flags)
	}
	p.ev = ev
	b := &p.cpus[cpu]
	b.events = b.events.bytes(fBundleEvent, ev)
	p.counted(cpu)
}

func (p *PerfettoWriter) flushCPU(cpu int) {
	b := &p.cpus[cpu]
	if b.n == 0 {
		return
	}
	bundle := append(p.sub[:0].uint(fBundleCPU, uint64(cpu)), b.events...)
	if !b.compact.empty() {
		bundle, p.scratch = b.compact.encode(bundle, p.scratch)
	}
	p.sub = bundle
	p.body = p.body[:0].bytes(fPacketFtraceEvents, bundle)
	p.packet(p.body)
	b.events, b.n = b.events[:0], 0
}

// wakeFlags are a wakeup's common_flags: a timer's runs in hardirq
// context.
func wakeFlags(t *sim.Task) uint64 {
	if t.WokenByTimer() {
		return traceFlagIrqsOff | traceFlagHardirq
	}
	return traceFlagIrqsOff
}

func (p *PerfettoWriter) wakeFields(t *sim.Task, target int) msg {
	p.sub = msg(p.sub[:0]).str(fWkComm, comm(t, 0)).int(fWkPid, int64(t.PID)).
		int(fWkPrio, int64(prio(t))).uint(fWkSuccess, 1).int(fWkTargetCPU, int64(target))
	return p.sub
}

// Fork implements sim.Observer: the task's process and thread descriptors.
func (p *PerfettoWriter) Fork(at uint64, t *sim.Task) {
	p.wakeCPU[t.PID] = t.CPU() // the parent's CPU: sched_wakeup_new is emitted there
	p.thread(at, t.PID, t.Comm)
}

// Waking implements sim.Observer (sched_waking on the waker's CPU).
func (p *PerfettoWriter) Waking(at uint64, t *sim.Task, wakerCPU int) {
	p.wakeCPU[t.PID] = wakerCPU
	switch {
	case !p.opts.in(at):
	case p.opts.CompactSched:
		p.bundle(wakerCPU).compact.waking(at, t.PID, prio(t), t.CPU(), comm(t, 0), wakeFlags(t))
		p.counted(wakerCPU)
	default:
		p.ftraceFlags(at, wakerCPU, p.curr(wakerCPU), fFtraceSchedWaking, p.wakeFields(t, t.CPU()), wakeFlags(t))
	}
}

// Wakeup implements sim.Observer (sched_wakeup, sched_wakeup_new).
func (p *PerfettoWriter) Wakeup(at uint64, t *sim.Task, cpu int, isNew bool) {
	on := p.wakeupCPU(t, cpu)
	if !p.opts.in(at) {
		return
	}
	num := protowire.Number(fFtraceSchedWakeup)
	if isNew {
		num = fFtraceSchedWakeupNew
	}
	p.ftraceFlags(at, on, p.curr(on), num, p.wakeFields(t, cpu), wakeFlags(t))
}

// Switch implements sim.Observer (sched_switch).
func (p *PerfettoWriter) Switch(at uint64, cpu int, prev, next *sim.Task) {
	p.setCurr(cpu, next)
	if !p.opts.in(at) {
		return
	}
	st := prevState(prev)
	if st == stateDead {
		p.exit(at, cpu, prev)
	}
	if p.opts.CompactSched {
		p.bundle(cpu).compact.switchTo(at, st, pid(next), prio(next), comm(next, cpu))
		p.counted(cpu)
		return
	}
	p.sub = msg(p.sub[:0]).str(fSwPrevComm, comm(prev, cpu)).int(fSwPrevPid, int64(pid(prev))).
		int(fSwPrevPrio, int64(prio(prev))).int(fSwPrevState, st).
		str(fSwNextComm, comm(next, cpu)).int(fSwNextPid, int64(pid(next))).int(fSwNextPrio, int64(prio(next)))
	p.ftrace(at, cpu, prev, fFtraceSchedSwitch, p.sub)
}

func (p *PerfettoWriter) exit(at uint64, cpu int, t *sim.Task) {
	p.exited[t.PID] = true
	p.sub = msg(p.sub[:0]).str(fExComm, comm(t, cpu)).int(fExPid, int64(t.PID)).
		int(fExTgid, int64(t.PID)).int(fExPrio, int64(prio(t)))
	p.ftrace(at, cpu, t, fFtraceSchedProcessExit, p.sub)
}

// Exit implements sim.Observer (sched_process_exit, unless written before
// the task's last switch).
func (p *PerfettoWriter) Exit(at uint64, t *sim.Task) {
	if !p.exitWritten(t) && p.opts.in(at) {
		p.exit(at, t.CPU(), t)
		p.exitWritten(t)
	}
}

// annotation is one debug annotation of a track event.
type annotation struct {
	name   string
	s      string
	i      int64
	isS    bool
	intern bool // a string of few distinct values: interned
}

func ann(name string, v int64) annotation   { return annotation{name: name, i: v} }
func annS(name string, s string) annotation { return annotation{name: name, s: s, isS: true} }
func annI(name string, s string) annotation {
	return annotation{name: name, s: s, isS: true, intern: true}
}

// Kinds of interned strings, and their field in InternedData.
const (
	internEvent = iota
	internAnnName
	internAnnValue
)

var internFields = [3]protowire.Number{fInternEventNames, fInternAnnNames, fInternAnnStrings}

// intern returns the interning id of s, adding it to the interned data of
// the next packet on first use. The sequence's incremental state is never
// cleared after its first packet, so ids stay valid for the whole trace.
func (p *PerfettoWriter) intern(kind int, s string) uint64 {
	m := p.interned[kind]
	if id, ok := m[s]; ok {
		return id
	}
	id := uint64(len(m) + 1)
	m[s] = id
	p.ie = p.ie[:0].uint(fInternedIID, id).str(fInternedName, s)
	p.newIntern = p.newIntern.bytes(internFields[kind], p.ie)
	return id
}

func (p *PerfettoWriter) encodeAnn(m msg, a annotation) msg {
	nameID := p.intern(internAnnName, a.name)
	var valueID uint64
	if a.intern {
		valueID = p.intern(internAnnValue, a.s)
	}
	d := p.da[:0].uint(fDaNameIID, nameID)
	switch {
	case a.intern:
		d = d.uint(fDaStringValueIID, valueID)
	case a.isS:
		d = d.str(fDaStringValue, a.s)
	default:
		d = d.int(fDaIntValue, a.i)
	}
	p.da = d
	return m.bytes(fTeDebugAnnotations, d)
}

// event writes a TrackEvent; a name is interned when internName (slice
// names: callbacks, locks), written out otherwise (instants: free text).
func (p *PerfettoWriter) event(at, track uint64, typ uint64, name string, internName bool, anns ...annotation) {
	te := p.te[:0].uint(fTeType, typ).uint(fTeTrackUUID, track)
	switch {
	case name == "":
	case internName:
		te = te.uint(fTeNameIID, p.intern(internEvent, name))
	default:
		te = te.str(fTeName, name)
	}
	for _, a := range anns {
		te = p.encodeAnn(te, a)
	}
	p.te = te
	p.trackEvent(at, te)
}

// trackEvent writes a packet holding the track event te, with the strings
// it interned.
func (p *PerfettoWriter) trackEvent(at uint64, te msg) {
	m := p.seq(p.body[:0].uint(fPacketTimestamp, at))
	m = m.bytes(fPacketTrackEvent, te)
	if len(p.newIntern) > 0 {
		m = m.bytes(fPacketInternedData, p.newIntern)
		p.newIntern = p.newIntern[:0]
	}
	p.body = m
	p.packet(m)
}

func (p *PerfettoWriter) begin(at, track uint64, name string, anns ...annotation) {
	if !p.opts.in(at) {
		return
	}
	p.open[track]++
	p.event(at, track, teSliceBegin, name, true, anns...)
}

func (p *PerfettoWriter) end(at, track uint64, anns ...annotation) {
	if p.open[track] == 0 {
		return
	}
	p.open[track]--
	p.event(at, track, teSliceEnd, "", false, anns...)
}

func (p *PerfettoWriter) counter(at, track uint64, v float64, integer bool) {
	if !p.opts.in(at) {
		return
	}
	te := p.te[:0].uint(fTeType, teCounter).uint(fTeTrackUUID, track)
	if integer {
		te = te.int(fTeCounterValue, int64(v))
	} else {
		te = te.double(fTeDoubleCounter, v)
	}
	p.te = te
	p.trackEvent(at, te)
}

// CallbackStart implements sim.Observer: a slice on the CPU's track.
func (p *PerfettoWriter) CallbackStart(at uint64, cpu int, cb sim.Callback, t *sim.Task) {
	if !p.opts.in(at) {
		return
	}
	tr := p.track(at, trackKey{kind: trkCallbacks, id: int64(cpu)})
	if t != nil {
		p.begin(at, tr, cb.String(), ann("pid", int64(t.PID)), annI("comm", t.Comm))
	} else {
		p.begin(at, tr, cb.String())
	}
}

// CallbackEnd implements sim.Observer: the slice ends with its cost.
func (p *PerfettoWriter) CallbackEnd(at uint64, cpu int, cb sim.Callback, t *sim.Task, e sim.CallbackEnd) {
	tr, ok := p.tracks[trackKey{kind: trkCallbacks, id: int64(cpu)}]
	if !ok {
		return
	}
	p.end(at, tr, ann("insns", int64(e.Insns)), ann("cost_ns", int64(e.Ns)), ann("ret", int64(e.Ret)))
}

// DSQ implements sim.Observer: the queue's depth as a counter.
func (p *PerfettoWriter) DSQ(at uint64, q *sim.DSQ, t *sim.Task, inserted bool) {
	if !p.opts.in(at) {
		return
	}
	k := trackKey{kind: trkDSQ, id: int64(q.ID)}
	tr, ok := p.tracks[k]
	if !ok {
		tr = p.track(at, trackKey{kind: trkDSQ, id: int64(q.ID), name: dsqName(q)})
		p.tracks[k] = tr
	}
	p.counter(at, tr, float64(q.Len()), true)
}

// Request implements sim.Observer: a workload's request latencies as a
// counter track ("latency web"), one value per completed request.
func (p *PerfettoWriter) Request(at uint64, group int, latency uint64) {
	if !p.opts.in(at) {
		return
	}
	k := trackKey{kind: trkRequest, id: int64(group)}
	tr, ok := p.tracks[k]
	if !ok {
		tr = p.track(at, trackKey{kind: trkRequest, id: int64(group), name: p.opts.workload(group)})
		p.tracks[k] = tr
	}
	p.counter(at, tr, float64(latency), true)
}

// Ejected implements sim.Observer: an instant on the run's track.
func (p *PerfettoWriter) Ejected(at uint64, e *sim.Ejection) {
	if p.opts.in(at) {
		p.event(at, globalTrack, teInstant, "ejected: "+e.Info.Reason, false,
			annS("policy", e.Policy), annS("reason", e.Info.Reason), annS("msg", e.Info.Msg))
	}
}

// Policy implements sim.Observer: lock slices, counters, instants.
func (p *PerfettoWriter) Policy(at uint64, cpu int, ev sim.PolicyEvent) {
	switch ev.Kind {
	case sim.PolicyLockWait:
		tr := p.track(at, trackKey{kind: trkLock, id: int64(cpu), name: ev.Name})
		p.waiting[tr] = p.opts.in(at)
		p.begin(at, tr, "wait "+ev.Name, annI("site", ev.Site))
	case sim.PolicyLockAcquire:
		tr := p.track(at, trackKey{kind: trkLock, id: int64(cpu), name: ev.Name})
		if p.waiting[tr] {
			p.waiting[tr] = false
			p.end(at, tr)
		}
		p.begin(at, tr, "hold "+ev.Name, annI("site", ev.Site))
	case sim.PolicyLockRelease:
		if tr, ok := p.tracks[trackKey{kind: trkLock, id: int64(cpu), name: ev.Name}]; ok {
			p.end(at, tr)
		}
	case sim.PolicyCounter:
		if p.opts.in(at) {
			p.counter(at, p.track(at, trackKey{kind: trkCounter, id: int64(ev.PID), name: ev.Name}), ev.Value, false)
		}
	case sim.PolicyDeadlock:
		if p.opts.in(at) {
			p.event(at, globalTrack, teInstant, "deadlock "+ev.Name, false, annS("report", ev.Text), annI("site", ev.Site))
		}
	case sim.PolicyPrintk:
		if p.opts.in(at) {
			p.event(at, p.track(at, trackKey{kind: trkCallbacks, id: int64(cpu)}), teInstant, ev.Text, false)
		}
	}
}

// Close writes the CPUs' last bundles and flushes.
func (p *PerfettoWriter) Close() error {
	for cpu := range p.cpus {
		p.flushCPU(cpu)
	}
	return p.o.flush()
}
