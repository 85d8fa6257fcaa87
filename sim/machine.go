package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
)

// Params are the machine's physical and run parameters.
type Params struct {
	Topology TopologySpec
	// HZ is the scheduler tick frequency.
	HZ int
	// ContextSwitch is the cost of switching tasks on a CPU, in ns.
	ContextSwitch uint64
	// Migration is the cache-refill cost a task pays on its first run after
	// moving, by distance from its previous CPU (index: Distance).
	Migration [numDistances]uint64
	// IPI is the delay before a kicked or woken remote CPU enters the
	// scheduler, in ns.
	IPI uint64
	// Wakeup is the waker's side of try_to_wake_up() (locking the task and
	// its runqueue, accounting, the preemption check), in ns, outside the
	// policy's callbacks (which cost their own time): charged to the
	// waking CPU, and the woken task cannot be picked before it is over.
	Wakeup uint64
	// CallbackCost is charged for every scheduler callback a Go policy runs
	// (BPF policies charge per instruction instead; see Kernel.Charge).
	CallbackCost uint64
	// Seed derives every random stream of the run.
	Seed uint64
	// Duration is the simulated time to run, in ns.
	Duration uint64
	// Warmup is ignored by metrics: every metric covers the window from
	// its end to the end of the run (window.go).
	Warmup uint64
	// Starvation is the runnable wait reported as starvation
	// (DefaultStarvation when 0).
	Starvation uint64
	// Kernel is the sched_ext version followed (kernelver.go); 0 is the
	// latest.
	Kernel KernelVersion
	// Noise is the system noise model (noise.go); nil for none.
	Noise *Noise
	// MaxTasks bounds the tasks a run may create (DefaultMaxTasks when 0):
	// Spawn fails beyond it, and a scenario whose workloads would exceed
	// it is refused before it starts (memory.go).
	MaxTasks int
	// Interleave lets callbacks of different CPUs overlap in simulated
	// time: a policy may suspend a callback (Kernel.Yield, Kernel.Block)
	// and other CPUs run meanwhile (see interleave.go).
	Interleave bool
	// Observers are attached before anything happens (ops.init, the first
	// fork), so they see the whole run; Machine.Observe adds more later.
	Observers []Observer
	// Cgroups is the cgroup hierarchy besides the root (cgroup.go).
	Cgroups []CgroupSpec
}

// CPU is one simulated CPU.
type CPU struct {
	// The field order is a cache layout (a CPU is 384 bytes on the heap,
	// 64-byte aligned): line 0 is what most events read, line 1 the
	// Stats every path updates, line 2 what __schedule() reads, line 3
	// the dispatch buffer and the topology; the rest is cold.

	// line 0
	ID             int
	curr           *Task
	local          *DSQ
	reschedPending bool
	tickArmed      bool
	cpuReleased    bool // rq->scx.cpu_released (class_rt.go)
	tickGen        uint32
	// kicks requested by the callback in progress on this CPU
	kicks []kick
	dspNr int32 // dispatch context: the tasks ops.dispatch inserted
	core  int32 // Topo.Core, for the idle masks

	// line 1
	Stats CPUStats

	// line 2
	// the classes above ext: the RT class's waiting tasks, highest
	// priority first (class_rt.go), and the fair class's by vruntime
	// (class_fair.go)
	rtq    []*Task
	fairq  []*Task
	pntSeq uint64 // rq->scx.pnt_seq: ext tasks put for another class
	cursor int    // round-robin start for idle picks (cpumask_any_distribute)

	// line 3
	dspBuf []dspEntry
	Topo   CPUTopo

	// cold
	fairMin    uint64 // cfs_rq->min_vruntime
	noiseUntil uint64 // the noise in progress ends then
	// interleaving: the coroutine running this CPU's kernel paths
	co  *coro
	win CPUStats // Stats at the start of the measured window
	// to 384 bytes, a size class whose objects are 64-byte aligned (352,
	// the next below, is not)
	_ [40]byte
}

// CPUStats are per-CPU measurements, in ns.
type CPUStats struct {
	Busy       uint64 // running tasks
	RT         uint64 // the part of Busy that RT tasks ran (class_rt.go)
	Fair       uint64 // the part of Busy that fair tasks ran (class_fair.go)
	Idle       uint64
	Sched      uint64 // running scheduler code (callbacks) and switching
	Noise      uint64 // interrupts and kernel threads (noise.go)
	Switches   uint64
	Dispatches uint64 // ops.dispatch invocations
}

type dspEntry struct {
	p     *Task
	dsq   uint64
	flags uint64
	qseq  uint64 // p.qseq at the insertion
}

// Curr returns the task running on the CPU, or nil when idle.
func (c *CPU) Curr() *Task { return c.curr }

// Local returns the CPU's local DSQ.
func (c *CPU) Local() *DSQ { return c.local }

type cbctx struct {
	cpu  int
	cb   Callback
	task *Task // the task being selected/enqueued (direct dispatch target)
	// what the callback in progress cost so far (for observers)
	cost, insns uint64
}

// Machine is a simulated computer running a sched_ext policy.
type Machine struct {
	P    Params
	Topo *Topology
	cg   cgroups // cgroup.go
	now  uint64
	seq  uint64
	evq  eventQueue
	arms []*Task // tasks whose completion is armed but not yet pushed (armCompletion)
	// eagerArms pushes every armed completion at once, as before flushArms
	// existed (tests compare the two)
	eagerArms bool

	cpus  []*CPU
	tasks []*Task
	// the rest of the Tasks newTask allocated last
	taskSlab []Task
	nextID   int32

	sched   Scheduler
	ops     Ops
	k       *Kernel
	alloc   TaskAllocator
	globals []*DSQ // SCX_DSQ_GLOBAL: one, or one per NUMA node (6.13+)
	userDSQ map[uint64]*DSQ

	idle     CPUMask
	idleSMT  CPUMask
	coreCPUs [][]int // each core's CPUs (Topo.CoreMask as lists), for the idle masks
	// each CPU's core (Topo.CPUs[i].Core, 4 bytes a CPU: no CPU struct
	// to read for another CPU's SMT siblings)
	cpuCore     []int32
	builtinIdle bool

	cur  cbctx
	dump *dumpState // the debug dump being written (dump.go)
	// disabling: the task loop of the disable path runs (disable.go)
	disabling bool
	exitInfo  *ExitInfo // set by Error/Exit; acted on at the next event boundary
	// unregInfo is the exit information of the unregistration at the end
	// of the run (nil before, or if the policy was ejected).
	unregInfo *ExitInfo
	ejected   *Ejection

	rootRand *rand.Rand

	hash     uint64 // FNV-1a over the switch log
	switches uint64
	events   uint64
	// ghosts counts the superseded completions dropped from the queue
	// that would have been popped (and done nothing) before the end of
	// the run: Events counts them as before (pushCompletion).
	ghosts     uint64
	endAt      uint64 // the time of evEnd
	endSeq     uint64 // the sequence number of evEnd (0 before it is pushed)
	dspWaits   uint64 // dispatch flushes that waited for an enqueue
	Metrics    Metrics
	lag        gps
	hooks      []func(*Machine)
	reporters  []Reporter
	groups     []string
	policyName string
	policy     Scheduler // the policy the run started with
	stopped    bool
	obs        Observer // nil when nobody observes (observer.go)
	wants      uint32   // PolicyEventKinds some observer wants (bit per kind)
	// wakeDelay is added to reschedules requested while a wakeup is in
	// progress (the rest of try_to_wake_up() runs first).
	wakeDelay uint64
	// the measured window (window.go)
	winStart    uint64
	winSwitches uint64
	wdNext      uint64 // jiffy of the next watchdog check
}

type kick struct {
	cpu   int
	flags uint64
}

// Ejection records the end of a policy: when and why.
type Ejection struct {
	At     uint64
	Policy string
	Info   ExitInfo
}

// NewMachine builds a machine running sched (which may be nil for the
// built-in fallback policy).
func NewMachine(p Params, sched Scheduler) (*Machine, error) {
	topo, err := NewTopology(p.Topology)
	if err != nil {
		return nil, err
	}
	if p.HZ <= 0 || p.HZ > 100000 {
		return nil, fmt.Errorf("hz = %d: must be between 1 and 100000", p.HZ)
	}
	if sched == nil {
		sched = fallback{}
	}
	m := &Machine{P: p, Topo: topo, sched: sched, alloc: heapTaskAllocator{},
		userDSQ: make(map[uint64]*DSQ), nextID: 1,
		rootRand: rand.New(rand.NewPCG(p.Seed, 0x5ced5ced))}
	m.k = &Kernel{m: m}
	if p.Kernel != 0 && (p.Kernel < KernelFirst || p.Kernel > KernelLatest) {
		return nil, fmt.Errorf("kernel 6.%d: expected 6.%d to 6.%d", p.Kernel, KernelFirst, KernelLatest)
	}
	m.globals = []*DSQ{newDSQ(m, DSQGlobal, -1)}
	if m.Version() >= kvLLCAware {
		for n := 1; n < topo.Spec.Nodes; n++ {
			m.globals = append(m.globals, newDSQ(m, DSQGlobal, -1))
		}
	}
	m.cpuCore = make([]int32, len(topo.CPUs))
	for i, ct := range topo.CPUs {
		m.cpuCore[i] = int32(ct.Core)
	}
	for i := range topo.CPUs {
		c := &CPU{ID: i, Topo: topo.CPUs[i], core: int32(topo.CPUs[i].Core), local: newDSQ(m, DSQLocalOn|uint64(i), i)}
		if p.Interleave {
			c.co = m.newCoro()
		}
		m.cpus = append(m.cpus, c)
		m.idle.Set(i)
	}
	// the lists share one array: a few cache lines for the whole machine
	m.coreCPUs = make([][]int, len(topo.CoreMask))
	flat := make([]int, 0, len(topo.CPUs))
	for i, core := range topo.CoreMask {
		start := len(flat)
		for c := core.Next(0); c >= 0; c = core.Next(c + 1) {
			m.idleSMT.Set(c)
			flat = append(flat, c)
		}
		m.coreCPUs[i] = flat[start:len(flat):len(flat)]
	}
	m.evq.init(len(m.cpus), numLanes)
	m.hash = fnvOffset
	if a, ok := sched.(TaskAllocator); ok {
		m.alloc = a
	}
	m.ops = sched.Ops()
	m.policy = sched
	m.policyName = m.ops.Name
	if err := m.checkMembers(); err != nil {
		return nil, fmt.Errorf("policy %s: %w", m.ops.Name, err)
	}
	if m.ops.DispatchMaxBatch == 0 {
		m.ops.DispatchMaxBatch = DispatchMaxBatchDfl
	}
	m.builtinIdle = !m.ops.Has(CbUpdateIdle) || m.ops.Flags&OpsKeepBuiltinIdle != 0
	m.lag.init(len(m.cpus))
	for _, o := range p.Observers {
		m.Observe(o)
	}
	if err := m.createCgroups(p.Cgroups); err != nil {
		return nil, fmt.Errorf("policy %s: %w", m.ops.Name, err)
	}
	// Init always runs: it hands the policy its Kernel. (The kernel calls
	// ops.init only if set; a policy without one just keeps k.)
	m.call(0, CbInit, nil, func() int32 {
		err = sched.Init(m.k)
		return 0
	})
	var initErr *OpsInitError
	switch {
	case errors.As(err, &initErr):
		// scx_ops_enable_workfn() skips validate_ops() and goes to
		// err_disable: the error is recorded, the disable work flushed
		// (ops.exit told), and the attach succeeds.
		m.scxError(initErr.Error())
		m.eject()
	case err != nil:
		return nil, fmt.Errorf("policy %s: ops.init failed: %w", m.ops.Name, err)
	default:
		m.validateOps()
	}
	if err := m.setupCgroups(); err != nil {
		return nil, fmt.Errorf("policy %s: %w", m.ops.Name, err)
	}
	if a, ok := sched.(Attacher); ok && m.exitInfo == nil {
		if err := a.Attached(); err != nil {
			return nil, fmt.Errorf("policy %s: %w", m.ops.Name, err)
		}
	}
	for _, c := range m.cpus {
		if m.has(CbUpdateIdle) {
			m.call(c.ID, CbUpdateIdle, nil, func() int32 { m.sched.UpdateIdle(int32(c.ID), true); return 0 })
		}
	}
	m.push(event{at: p.Duration, kind: evEnd})
	m.endAt, m.endSeq = p.Duration, m.seq
	m.armWindow()
	m.armWatchdog()
	m.armNoise()
	return m, nil
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvWord hashes v's eight bytes, least significant first, into h
// (FNV-1a), unrolled.
func fnvWord(h, v uint64) uint64 {
	h = (h ^ v&0xff) * fnvPrime
	h = (h ^ v>>8&0xff) * fnvPrime
	h = (h ^ v>>16&0xff) * fnvPrime
	h = (h ^ v>>24&0xff) * fnvPrime
	h = (h ^ v>>32&0xff) * fnvPrime
	h = (h ^ v>>40&0xff) * fnvPrime
	h = (h ^ v>>48&0xff) * fnvPrime
	return (h ^ v>>56) * fnvPrime
}

// Powers of fnvPrime (mod 2^64): FNV-1a's step for a zero byte is a
// multiply by the prime, so the high zero bytes of a word fold into one
// multiply.
const (
	fnvPrime4 = fnvPrime * fnvPrime * fnvPrime * fnvPrime % (1 << 64)
	fnvPrime5 = fnvPrime * fnvPrime4 % (1 << 64)
	fnvPrime7 = fnvPrime * fnvPrime * fnvPrime5 % (1 << 64)
)

// fnvSwitch hashes a switch record (the words now, cpu, prev and next
// pid, as fnvWord does each) into h. The same value as four fnvWord
// calls, with fewer multiplies in the serial chain: a pid is 32 bits, a
// CPU below 2^16 and now (usually) below 2^40, and each run of zero
// bytes at the top is one multiply.
func fnvSwitch(h, now uint64, cpu int, prev, next uint32) uint64 {
	if now < 1<<40 {
		h = (h ^ now&0xff) * fnvPrime
		h = (h ^ now>>8&0xff) * fnvPrime
		h = (h ^ now>>16&0xff) * fnvPrime
		h = (h ^ now>>24&0xff) * fnvPrime
		h = (h ^ now>>32) * fnvPrime4
	} else {
		h = fnvWord(h, now)
	}
	if c := uint64(cpu); c < 1<<16 {
		h = (h ^ c&0xff) * fnvPrime
		h = (h ^ c>>8) * fnvPrime7
	} else {
		h = fnvWord(h, c)
	}
	return fnvPID(fnvPID(h, prev), next)
}

// fnvPID is fnvWord(h, uint64(v)).
func fnvPID(h uint64, v uint32) uint64 {
	w := uint64(v)
	h = (h ^ w&0xff) * fnvPrime
	h = (h ^ w>>8&0xff) * fnvPrime
	h = (h ^ w>>16&0xff) * fnvPrime
	return (h ^ w>>24) * fnvPrime5
}

// Now is the simulated time in ns.
func (m *Machine) Now() uint64 { return m.now }

// Kernel returns the kfunc-side API of the machine.
func (m *Machine) Kernel() *Kernel { return m.k }

// CPUs returns the CPUs.
func (m *Machine) CPUs() []*CPU { return m.cpus }

// Tasks returns every task created, in creation order.
func (m *Machine) Tasks() []*Task { return m.tasks }

// Scheduler returns the policy currently in charge (the fallback after an
// ejection).
func (m *Machine) Scheduler() Scheduler { return m.sched }

// Ejected returns why the policy was ejected, or nil.
func (m *Machine) Ejected() *Ejection { return m.ejected }

// ScheduleHash is the FNV-1a hash of the ordered switch log (time, CPU,
// previous and next pid of every context switch).
func (m *Machine) ScheduleHash() uint64 { return m.hash }

// Switches is the number of context switches so far.
func (m *Machine) Switches() uint64 { return m.switches }

// Events is the number of events processed so far.
func (m *Machine) Events() uint64 { return m.events + m.ghosts }

// Rand returns a random stream named name, derived from the run's seed:
// the same name always yields the same sequence, whatever other streams
// are drawn from.
func (m *Machine) Rand(name string) *rand.Rand {
	r := new(rand.Rand)
	m.randIn(name, r, new(rand.PCG))
	return r
}

// randIn makes *r the stream Rand(name) returns, on *src: the caller
// keeps both where it likes.
func (m *Machine) randIn(name string, r *rand.Rand, src *rand.PCG) {
	h := fnv.New64a()
	h.Write([]byte(name))
	src.Seed(m.P.Seed, h.Sum64())
	*r = *rand.New(src)
}

func (m *Machine) push(e event) {
	m.seq++
	e.seq = m.seq
	m.evq.push(e)
}

// The event queue's lanes (event.go): scheduler ticks, and reschedules by
// their delay (wakeDelay or not, IPI or not); each gets its events in
// (time, sequence) order.
const (
	laneTick    = 0
	laneResched = 1 // + 1 if wakeDelay, + 2 if IPI
	numLanes    = 5
)

func (m *Machine) pushLane(l int, at uint64, kind eventKind, cpu int32, gen uint32) {
	m.seq++
	m.evq.pushLaneAt(l, at, m.seq, kind, cpu, gen)
}

// pushCompletion queues an evTaskDone (sequence number set) in its CPU's
// completion slot. The completion it replaces is stale if its task's
// runGen moved on (it can never be again: runGen only grows): popping it
// would have done nothing but count an event, so it is dropped and counted
// as a ghost if it would have been popped before evEnd. One that could
// still be live goes to the heap. With interleaving (stale completions start
// kernel paths) and eagerArms every completion goes to the heap.
func (m *Machine) pushCompletion(at, seq uint64, cpu int32, t *Task, gen uint32) {
	if m.P.Interleave || m.eagerArms {
		m.evq.push(event{at: at, seq: seq, kind: evTaskDone, cpu: cpu, task: t, gen: gen})
		return
	}
	old, oldGen, x := m.evq.setComp(cpu, at, seq, t, gen)
	if old == nil {
		return
	}
	oldSeq := x.key >> slotBits
	if old.runGen == oldGen || m.endSeq == 0 {
		m.evq.push(event{at: x.at, seq: oldSeq, kind: evTaskDone, cpu: cpu, task: old, gen: oldGen})
		return
	}
	if x.at < m.endAt || x.at == m.endAt && oldSeq < m.endSeq {
		m.ghosts++
	}
}

// At runs fn at simulated time t (not before now).
func (m *Machine) At(t uint64, fn func()) {
	m.push(event{at: max(t, m.now), kind: evFunc, fn: fn})
}

// AtOn runs fn at simulated time t as code of CPU cpu (a pinned timer).
func (m *Machine) AtOn(t uint64, cpu int, fn func()) {
	if cpu < 0 || cpu >= len(m.cpus) {
		cpu = 0
	}
	m.push(event{at: max(t, m.now), kind: evFunc, cpu: int32(cpu), fn: fn})
}

// AtGlobal runs fn at time t outside any CPU's kernel path: with
// interleaving it runs even while every CPU is suspended (lock timeouts).
func (m *Machine) AtGlobal(t uint64, fn func()) {
	m.push(event{at: max(t, m.now), kind: evFunc, cpu: -1, fn: fn})
}

// After runs fn d ns from now.
func (m *Machine) After(d uint64, fn func()) { m.At(m.now+d, fn) }

// OnSwitch registers fn to be told of every context switch (prev or next
// is nil for the idle task), in schedule order: the log the schedule hash
// is computed over.
// It is a shorthand for an Observer with only Switch.
func (m *Machine) OnSwitch(fn func(at uint64, cpu int, prev, next *Task)) {
	m.Observe(switchFunc{fn: fn})
}

type switchFunc struct {
	BaseObserver
	fn func(at uint64, cpu int, prev, next *Task)
}

func (f switchFunc) Switch(at uint64, cpu int, prev, next *Task) { f.fn(at, cpu, prev, next) }

// WantsPolicy: a switch callback wants no policy events (PolicyInterest).
func (switchFunc) WantsPolicy(PolicyEventKind) bool { return false }

// OnEnd registers fn to run when the run ends (workloads finalise metrics).
func (m *Machine) OnEnd(fn func(*Machine)) { m.hooks = append(m.hooks, fn) }

// TaskSpec describes a task to create.
type TaskSpec struct {
	Comm     string
	Nice     int
	Affinity []int // CPUs allowed; empty means all
	Group    int
	Behavior Behavior
	// Class is the task's scheduling class (ClassExt by default); an RT
	// task has an RTPriority from 1 to 99 (class_rt.go).
	Class      TaskClass
	RTPriority int
	// RTRoundRobin makes an RT task SCHED_RR instead of SCHED_FIFO.
	RTRoundRobin bool
	// Existing makes a sched_ext task that was already there, asleep,
	// when the policy attached (a task of the system scx_ops_enable()
	// finds): ops.init_task gets fork = false and it is enabled, with no
	// fork wakeup; a timer wakes it after ExistingSleep, and its
	// behavior is first asked when it runs after that. Only before the
	// run's first event.
	Existing      bool
	ExistingSleep uint64
	// SchedExt makes a non-RT task's policy SCHED_EXT rather than
	// SCHED_NORMAL: with SCX_OPS_SWITCH_PARTIAL only these go to the BPF
	// scheduler, the others to the fair class (class_fair.go); without
	// it, both are sched_ext tasks.
	SchedExt bool
	// tracker collects the task's wakeup latencies for its workload
	// (workload.go)
	tracker *tracker
}

// taskSlabLen is how many Tasks newTask allocates at once: 40 KiB, a large
// object, which starts on a page (a single Task, over 512 bytes and with
// pointers, would start 8 bytes into its 64-byte aligned slot, after the
// allocator's header, and Task's cache layout would straddle lines).
const taskSlabLen = 64

// newTask is a zero Task, 64-byte aligned (TestCacheLayout).
func (m *Machine) newTask() *Task {
	if len(m.taskSlab) == 0 {
		m.taskSlab = make([]Task, taskSlabLen)
	}
	t := &m.taskSlab[0]
	m.taskSlab = m.taskSlab[1:]
	return t
}

// Spawn creates a task (fork) at the current time and makes it runnable.
// The policy's init_task and enable run first, as in the kernel's fork path.
func (m *Machine) Spawn(s TaskSpec) (*Task, error) {
	if s.Nice < -20 || s.Nice > 19 {
		return nil, fmt.Errorf("task %q: nice %d is outside -20..19", s.Comm, s.Nice)
	}
	if s.Behavior == nil {
		return nil, fmt.Errorf("task %q has no behavior", s.Comm)
	}
	switch {
	case s.Class == ClassRT && (s.RTPriority < 1 || s.RTPriority >= MaxRTPrio):
		return nil, fmt.Errorf("task %q: rt_priority %d is outside 1..%d", s.Comm, s.RTPriority, MaxRTPrio-1)
	case s.Class != ClassRT && s.Class != ClassExt:
		return nil, fmt.Errorf("task %q: unknown scheduling class %d", s.Comm, s.Class)
	case s.Class == ClassExt && (s.RTPriority != 0 || s.RTRoundRobin):
		return nil, fmt.Errorf("task %q: rt_priority and SCHED_RR are for RT tasks only", s.Comm)
	}
	if s.Class == ClassRT && s.SchedExt {
		return nil, fmt.Errorf("task %q: an RT task's policy is not SCHED_EXT", s.Comm)
	}
	if s.Existing && (m.events > 0 || s.Class != ClassExt || s.ExistingSleep == 0) {
		return nil, fmt.Errorf("task %q: an existing task is a normal (not RT) task, asleep (existing_sleep > 0), created before the run starts", s.Comm)
	}
	if len(m.tasks) >= m.P.maxTasks() {
		return nil, fmt.Errorf("task %q: the run already has %d tasks, the limit (Params.MaxTasks, run.max_tasks)", s.Comm, len(m.tasks))
	}
	k, err := m.alloc.AllocTask()
	if err != nil {
		return nil, fmt.Errorf("task %q: %w", s.Comm, err)
	}
	t := m.newTask()
	*t = Task{K: k, PID: m.nextID, Comm: s.Comm, Nice: s.Nice, Group: s.Group,
		Weight: NiceToWeight[s.Nice+20], behavior: s.Behavior, tr: s.tracker, state: TaskNew}
	m.nextID++
	k.Pid, k.Tgid = t.PID, t.PID
	k.StaticPrio = int32(120 + s.Nice)
	k.Prio, k.NormalPrio = k.StaticPrio, k.StaticPrio
	k.Policy = SchedExt
	if s.Class == ClassExt && !s.SchedExt && m.ops.Flags&OpsSwitchPartial != 0 {
		// task_should_scx(): only SCHED_EXT tasks without scx_switching_all
		t.class = ClassFair
		k.Policy = SchedNormal
	}
	if s.Class == ClassRT {
		// __sched_setscheduler(): prio = MAX_RT_PRIO - 1 - rt_priority
		t.class, t.rtPrio = ClassRT, s.RTPriority
		k.Policy = SchedFIFO
		if s.RTRoundRobin {
			k.Policy = SchedRR
			t.rtRR, t.rtSlice = true, m.rrTimeslice()
		}
		k.RtPriority = uint32(s.RTPriority)
		k.Prio = int32(MaxRTPrio - 1 - s.RTPriority)
		k.NormalPrio = k.Prio
	}
	copy(k.Comm[:15], s.Comm)
	if len(s.Affinity) == 0 {
		k.CpusMask.SetFirst(len(m.cpus))
	} else {
		for _, c := range s.Affinity {
			if c < 0 || c >= len(m.cpus) {
				return nil, fmt.Errorf("task %q: affinity CPU %d does not exist (machine has %d)", s.Comm, c, len(m.cpus))
			}
			k.CpusMask.Set(c)
		}
	}
	k.NrCpusAllowed = int32(k.CpusMask.Weight())
	k.CpusPtr = addrOf(&k.CpusMask)
	k.Scx.Weight = ScxWeight(t.Weight)
	k.Scx.DdspDsqID = DSQInvalid
	k.Scx.StickyCPU, k.Scx.HoldingCPU = -1, -1
	k.Scx.Flags |= TaskResetRunnableAt
	parent := m.cur.cpu
	if !t.Allowed(parent) {
		parent = k.CpusMask.Next(0)
	}
	t.cpu = parent
	k.CPU = uint32(parent)
	t.forkedAt = m.now
	m.tasks = append(m.tasks, t)
	cg := m.cgroupOf(s.Group)
	m.setTaskCgroup(t, cg)
	if m.obs != nil {
		m.obs.Fork(m.now, t)
	}

	if m.has(CbInitTask) {
		// scx_ops_enable() initialises the tasks it finds with fork =
		// false (scx_ops_init_task(p, task_group(p), false))
		if ret := m.call(parent, CbInitTask, t, func() int32 {
			return m.sched.InitTask(t, InitTaskArgs{Fork: !s.Existing, Cgroup: cg})
		}); ret != 0 && m.exitInfo == nil {
			m.scxError(fmt.Sprintf("ops.init_task() failed (%d) for %s[%d]", ret, t.Comm, t.PID))
		}
	}
	t.scxInit = m.exitInfo == nil && m.ejected == nil
	m.enableTask(t)
	if s.Existing {
		// asleep at attach: nothing to enqueue until its wakeup
		t.state = TaskSleeping
		t.Stats.sleptAt = m.now
		t.sleepGen++
		m.push(event{at: m.now + s.ExistingSleep, kind: evWake, task: t, gen: t.sleepGen})
		return t, nil
	}
	// wake_up_new_task: select a CPU with WF_FORK, then activate.
	m.activateCharged(t, WakeFork, 0, parent)
	return t, nil
}

func (m *Machine) enableTask(t *Task) {
	if !t.onExt() {
		// scx_post_fork(): only a task on the ext class is enabled
		return
	}
	if m.has(CbEnable) {
		m.call(t.cpu, CbEnable, t, func() int32 { m.sched.Enable(t); return 0 })
	}
	t.enabled = true
	if m.has(CbSetWeight) {
		m.call(t.cpu, CbSetWeight, t, func() int32 { m.sched.SetWeight(t, t.K.Scx.Weight); return 0 })
	}
}

// Wake wakes t if it is blocked or sleeping; if it is runnable, the wakeup
// is remembered and its next Block returns at once (no lost wakeups).
// Called from a task's Behavior, the waker is that task (and its CPU).
func (m *Machine) Wake(t *Task) {
	switch t.state {
	case TaskSleeping:
		t.sleepGen++ // cancel a pending timed wakeup
		t.timerWake = false
		m.tryToWakeUp(t, WakeTTWU, m.cur.cpu)
	case TaskExited:
	default:
		t.wakePending = true
	}
}

func (m *Machine) tryToWakeUp(t *Task, wakeFlags uint64, wakerCPU int) {
	if m.obs != nil {
		m.obs.Waking(m.now, t, wakerCPU)
	}
	t.state = TaskWaking
	t.Stats.Wakeups++
	t.Stats.SleepTime += m.now - t.Stats.sleptAt
	t.woken = true
	t.wokeAt = m.now
	m.activateCharged(t, wakeFlags, EnqWakeup, wakerCPU)
}

// activateCharged is activate() inside try_to_wake_up() or
// wake_up_new_task(): the reschedules it causes happen after the waker's
// Params.Wakeup cost, which is charged to the waking CPU.
func (m *Machine) activateCharged(t *Task, wakeFlags, enqFlags uint64, onCPU int) {
	saved := m.wakeDelay
	m.wakeDelay = m.P.Wakeup
	m.activate(t, wakeFlags, enqFlags, onCPU)
	m.wakeDelay = saved
	if m.P.Wakeup > 0 && onCPU >= 0 && onCPU < len(m.cpus) {
		m.charge(onCPU, m.P.Wakeup)
	}
}

// activate is select_task_rq + enqueue_task for a waking or new task.
func (m *Machine) activate(t *Task, wakeFlags, enqFlags uint64, onCPU int) {
	if t.class == ClassFair {
		m.fairActivate(t, wakeFlags, onCPU)
		return
	}
	if !t.onExt() {
		m.rtActivate(t, wakeFlags, onCPU)
		return
	}
	prev := t.cpu
	cpu := prev
	if m.has(CbSelectCPU) && t.K.NrCpusAllowed > 1 {
		r := m.call(onCPU, CbSelectCPU, t, func() int32 { return m.sched.SelectCPU(t, int32(prev), wakeFlags) })
		cpu = int(r)
		enqFlags |= EnqCPUSelected
	} else if t.K.NrCpusAllowed > 1 {
		var found bool
		cpu, found = m.selectCPUDflVersion(t, prev, wakeFlags, onCPU)
		if found {
			t.K.Scx.Slice = SliceDfl
			t.K.Scx.DdspDsqID = DSQLocal
			t.K.Scx.DdspEnqFl = 0
		}
	}
	if cpu < 0 || cpu >= len(m.cpus) || !t.Allowed(cpu) {
		// core.c select_fallback_rq(): any allowed CPU.
		if t.Allowed(prev) {
			cpu = prev
		} else {
			cpu = t.K.CpusMask.Next(0)
		}
	}
	m.setTaskCPU(t, cpu)
	m.enqueueTask(t, enqFlags, onCPU)
	if m.obs != nil {
		m.obs.Wakeup(m.now, t, t.cpu, wakeFlags&WakeFork != 0)
	}
	// wakeup_preempt(): a CPU running its idle task reschedules.
	if c := m.cpus[t.cpu]; c.curr == nil {
		m.resched(c.ID)
	}
}

func (m *Machine) setTaskCPU(t *Task, cpu int) {
	if cpu == t.cpu {
		return
	}
	d := m.Topo.Distance(t.cpu, cpu)
	t.penalty += m.P.Migration[d]
	t.Stats.Migrations++
	t.K.Se.NrMigrations++
	if m.obs != nil {
		m.obs.Migrate(m.now, t, t.cpu, cpu)
	}
	t.cpu = cpu
	t.K.CPU = uint32(cpu)
	m.lag.moved(m, t)
}

// enqueueTask is enqueue_task_scx().
func (m *Machine) enqueueTask(t *Task, enqFlags uint64, onCPU int) {
	if t.K.Scx.Flags&TaskQueued != 0 {
		return
	}
	m.setRunnable(t)
	t.K.Scx.Flags |= TaskQueued
	if t.state != TaskRunning {
		t.state = TaskRunnable
		t.runnableSince = m.now
	}
	m.lag.join(m, t)
	if m.has(CbRunnable) {
		m.call(onCPU, CbRunnable, t, func() int32 { m.sched.Runnable(t, enqFlags); return 0 })
	}
	m.doEnqueue(t, enqFlags, onCPU)
}

func (m *Machine) setRunnable(t *Task) {
	if t.K.Scx.Flags&TaskResetRunnableAt != 0 {
		t.K.Scx.RunnableAt = m.now
		t.K.Scx.Flags &^= TaskResetRunnableAt
	}
}

// doEnqueue is do_enqueue_task().
func (m *Machine) doEnqueue(t *Task, enqFlags uint64, onCPU int) {
	if t.K.Scx.DdspDsqID != DSQInvalid {
		m.directDispatch(t, enqFlags)
		return
	}
	local := false
	switch {
	case enqFlags&EnqLast != 0 && m.ops.Flags&OpsEnqLast == 0:
		local = true
	case t.K.Flags&PFExiting != 0 && m.ops.Flags&OpsEnqExiting == 0:
		local = true
	case !m.has(CbEnqueue):
		t.K.Scx.Slice = SliceDfl
		m.dispatchEnqueue(m.globalOf(t.cpu), t, enqFlags)
		return
	}
	if local {
		t.K.Scx.Slice = SliceDfl
		m.dispatchEnqueue(m.cpus[t.cpu].local, t, enqFlags)
		return
	}
	t.qseq++
	t.queueing = true
	m.call(onCPU, CbEnqueue, t, func() int32 { m.sched.Enqueue(t, enqFlags); return 0 })
	t.queueing = false
	if t.waiters {
		for _, cpu := range t.dspWaiters {
			// QUEUEING is over: the CPUs spinning in finish_dispatch() go on
			m.unblock(cpu, 0)
		}
		t.dspWaiters, t.waiters = t.dspWaiters[:0], false
	}
	if t.K.Scx.DdspDsqID != DSQInvalid {
		m.directDispatch(t, enqFlags)
		return
	}
	if d := t.pendingDsp; d != nil && t.dsq == nil {
		// Another CPU dispatched the task while its enqueue ran here.
		t.pendingDsp = nil
		m.dispatchTo(t, d.dsq, d.flags, t.pendingCPU, false)
		return
	}
	t.pendingDsp = nil
	if t.dsq == nil && m.exitInfo == nil {
		t.opsQueued = true // in the BPF scheduler's custody
	} else if t.dsq == nil {
		// The policy failed during enqueue: keep the task schedulable.
		t.K.Scx.Slice = SliceDfl
		m.dispatchEnqueue(m.globalOf(t.cpu), t, 0)
	}
}

func (m *Machine) directDispatch(t *Task, enqFlags uint64) {
	id, fl := t.K.Scx.DdspDsqID, t.K.Scx.DdspEnqFl
	t.K.Scx.DdspDsqID, t.K.Scx.DdspEnqFl = DSQInvalid, 0
	m.dispatchTo(t, id, fl|enqFlags&EnqWakeup, t.cpu, true)
}

// dispatchTo inserts t into the DSQ named id, as seen from CPU `from`
// (SCX_DSQ_LOCAL is from's local DSQ). Tasks sent to a local DSQ of a CPU
// they may not run on go to the global DSQ (dispatch_to_local_dsq()),
// except for direct dispatches to LOCAL_ON, which the kernel rejects.
func (m *Machine) dispatchTo(t *Task, id uint64, flags uint64, from int, direct bool) {
	var cpu int
	switch {
	case id == DSQLocal:
		cpu = from
	case id&DSQLocalOn == DSQLocalOn:
		cpu = int(id & DSQLocalCPUMask)
		if cpu >= len(m.cpus) {
			m.scxError(fmt.Sprintf("invalid cpu %d in SCX_DSQ_LOCAL_ON verdict for %s[%d]", cpu, t.Comm, t.PID))
			m.dispatchEnqueue(m.globalOf(t.cpu), t, flags)
			return
		}
	default:
		q := m.findDSQ(id)
		if id == DSQGlobal {
			q = m.globalOf(t.cpu)
		}
		if q == nil {
			m.scxError(fmt.Sprintf("non-existent DSQ 0x%x for %s[%d]", id, t.Comm, t.PID))
			q = m.globalOf(t.cpu)
		}
		m.dispatchEnqueue(q, t, flags)
		return
	}
	if !t.Allowed(cpu) {
		if direct && id != DSQLocal {
			m.scxError(fmt.Sprintf("SCX_DSQ_LOCAL[_ON] verdict target cpu %d not allowed for %s[%d]", cpu, t.Comm, t.PID))
		}
		m.dispatchEnqueue(m.globalOf(t.cpu), t, flags)
		return
	}
	if t.state != TaskRunning {
		m.setTaskCPU(t, cpu)
	}
	m.dispatchEnqueue(m.cpus[cpu].local, t, flags)
}

func (m *Machine) findDSQ(id uint64) *DSQ {
	if id == DSQGlobal {
		return m.globalOf(m.cur.cpu)
	}
	return m.userDSQ[id]
}

// dispatchEnqueue is dispatch_enqueue(): put t on q.
func (m *Machine) dispatchEnqueue(q *DSQ, t *Task, flags uint64) {
	t.opsQueued = false
	priq := flags&EnqDSQPriq != 0
	if priq && q.builtin() {
		m.scxError("cannot use vtime ordering for built-in DSQs")
		priq = false
	}
	if !q.builtin() && q.Len() > 0 {
		if priq && !q.isPriq() {
			m.scxError(fmt.Sprintf("DSQ 0x%x already had FIFO-enqueued tasks", q.ID))
			priq = false
		} else if !priq && q.isPriq() {
			m.scxError(fmt.Sprintf("DSQ 0x%x already had PRIQ-enqueued tasks", q.ID))
			priq = true
		}
	}
	if priq {
		q.pushVtime(t)
	} else {
		q.pushFIFO(t, flags&(EnqHead|EnqPreempt) != 0)
	}
	if q.local < 0 {
		return
	}
	c := m.cpus[q.local]
	switch {
	case flags&EnqPreempt != 0 && c.curr != nil && c.curr != t && c.curr.onExt():
		c.curr.K.Scx.Slice = 0
		m.resched(c.ID)
	case c.curr == nil:
		m.resched(c.ID)
	}
}

// dequeueFromDSQ takes t off whatever DSQ holds it, and out of the policy's
// custody (calling ops.dequeue, as ops_dequeue() does).
func (m *Machine) dequeueFromDSQ(t *Task, deqFlags uint64) {
	if t.opsQueued {
		t.opsQueued = false
		if m.has(CbDequeue) {
			m.call(m.cur.cpu, CbDequeue, t, func() int32 { m.sched.Dequeue(t, deqFlags); return 0 })
		}
	}
	if t.dsq != nil {
		t.dsq.remove(t)
	}
}

// resched makes cpu enter the scheduler: now if it is the current CPU,
// after an IPI otherwise.
func (m *Machine) resched(cpu int) {
	c := m.cpus[cpu]
	if c.reschedPending {
		return
	}
	c.reschedPending = true
	at, l := m.now, laneResched
	if m.wakeDelay != 0 {
		at += m.wakeDelay
		l++
	}
	if cpu != m.cur.cpu {
		at += m.P.IPI
		l += 2
	}
	m.pushLane(l, at, evResched, int32(cpu), 0)
}

func (m *Machine) has(cb Callback) bool {
	return m.ops.Implements&cb != 0 && m.exitInfo == nil
}

// call runs one callback of the policy on cpu, with the kfunc context set.
func (m *Machine) call(cpu int, cb Callback, t *Task, fn func() int32) int32 {
	if m.obs != nil || m.P.CallbackCost > 0 {
		return m.callObserved(cpu, cb, t, fn)
	}
	saved := m.cur
	m.enter(cpu, cb, t)
	r := fn()
	if m.obs != nil {
		// an observer attached by the callback sees its end, as in
		// callObserved
		m.obs.CallbackEnd(m.now, cpu, cb, t, CallbackEnd{Ns: m.cur.cost, Insns: m.cur.insns, Ret: r})
	}
	m.cur = saved
	if c := m.cpus[cpu]; len(c.kicks) > 0 && saved.cb == 0 {
		m.callKicks(c)
	}
	return r
}

// enter sets the kfunc context: m.cur = cbctx{cpu: cpu, cb: cb, task: t},
// written by fields (the struct assignment goes through a temporary).
func (m *Machine) enter(cpu int, cb Callback, t *Task) {
	m.cur.cpu, m.cur.cb, m.cur.cost, m.cur.insns = cpu, cb, 0, 0
	m.cur.task = t
}

// callObserved is call with observers or a Go policy's callback cost.
func (m *Machine) callObserved(cpu int, cb Callback, t *Task, fn func() int32) int32 {
	saved := m.cur
	m.cur = cbctx{cpu: cpu, cb: cb, task: t}
	if m.obs != nil {
		m.obs.CallbackStart(m.now, cpu, cb, t)
	}
	r := fn()
	end := CallbackEnd{Ns: m.cur.cost + m.P.CallbackCost, Insns: m.cur.insns, Ret: r}
	m.cur = saved
	if m.P.CallbackCost > 0 {
		m.charge(cpu, m.P.CallbackCost)
	}
	if m.obs != nil {
		m.obs.CallbackEnd(m.now, cpu, cb, t, end)
	}
	if c := m.cpus[cpu]; len(c.kicks) > 0 && saved.cb == 0 {
		m.callKicks(c)
	}
	return r
}

// callKicks acts on the kicks a callback on c requested.
func (m *Machine) callKicks(c *CPU) {
	if m.disabling {
		c.kicks = c.kicks[:0] // bypass mode: nothing is rescheduled for the policy
	} else {
		m.processKicks(c)
	}
}

func (m *Machine) processKicks(from *CPU) {
	ks := from.kicks
	from.kicks = from.kicks[:0]
	for _, k := range ks {
		c := m.cpus[k.cpu]
		switch {
		case k.flags&KickPreempt != 0:
			if c.curr != nil && c.curr.onExt() {
				c.curr.K.Scx.Slice = 0
			}
			m.resched(k.cpu)
		case k.flags&KickIdle != 0:
			if c.curr == nil {
				m.resched(k.cpu)
			}
		default:
			m.resched(k.cpu)
		}
	}
}

// charge accounts ns of scheduler overhead on cpu: the task running there
// (or the one being switched in) progresses that much later.
func (m *Machine) charge(cpu int, ns uint64) {
	if ns == 0 || m.dump != nil || m.disabling {
		// the debug dump of an error exit costs no simulated time: it
		// runs between events, outside any CPU's kernel path (dump.go)
		return
	}
	c := m.cpus[cpu]
	if m.P.Interleave && c.co.busy && cpu == m.cur.cpu { // c.co is set with Interleave
		// Interleaving: the time passes for real, others run meanwhile;
		// the path's end accounts it (afterPath).
		m.k.Yield(ns)
		return
	}
	c.Stats.Sched += ns
	if cpu == m.cur.cpu {
		m.cur.cost += ns
	}
	if t := c.curr; t != nil {
		if m.now > t.lastAcct { // else account has nothing to do
			m.account(c)
		}
		t.runStart = max(t.runStart, m.now) + ns
		t.lastAcct = t.runStart
		// armCompletion(c), by hand (once per callback; too big to be
		// inlined): at is max(t.runStart, m.now)+t.penalty+t.work, and
		// t.runStart >= m.now here
		t.runGen++
		m.seq++
		t.arm = armed{at: t.runStart + t.penalty + t.work, seq: m.seq, cpu: int32(c.ID), gen: t.runGen}
		if !t.armPending {
			m.addArm(t)
		}
	}
}

// account brings the running task's runtime, work and slice up to now
// (update_curr_scx()).
func (m *Machine) account(c *CPU) {
	t := c.curr
	if t == nil || m.now <= t.lastAcct {
		return
	}
	d := m.now - t.lastAcct
	t.lastAcct = m.now
	if t.penalty > 0 {
		p := min(t.penalty, d)
		t.penalty -= p
		d -= p
		c.Stats.Sched += p
		if d == 0 {
			return
		}
	}
	t.Stats.Runtime += d
	t.K.Se.SumExecRuntime += d // update_curr_scx()
	t.K.Utime += d
	t.work -= min(t.work, d)
	c.Stats.Busy += d
	if t.class == ClassFair {
		m.fairAccount(c, t, d)
		return
	}
	if !t.onExt() {
		c.Stats.RT += d // update_curr_rt(): no slice, no lag
		return
	}
	if s := t.K.Scx.Slice; s != SliceInf {
		t.K.Scx.Slice = s - min(s, d)
	}
	m.lag.ran(m, t)
}

// armCompletion schedules the end of the running task's burst on c,
// superseding any completion armed before (runGen).
//
// Without interleaving, the event is not pushed at once: every callback's
// charge re-arms the completion, several times in one kernel path, and each
// push would leave a stale event in the queue. The task keeps the last
// completion it was armed with, with the sequence number it would have had,
// and flushArms pushes it when the event in progress ends: the queue then
// pops exactly the same live events in the same (time, sequence) order, with
// no stale ones. With interleaving, the stale events start kernel paths of
// their own (they account the task), so they are pushed as before.
//
// The list append and the eager push are in addArm (in eager mode
// armPending stays false, so every arm goes there); charge has a copy of
// the rest.
func (m *Machine) armCompletion(c *CPU) {
	t := c.curr
	t.runGen++
	m.seq++
	t.arm = armed{at: max(t.runStart, m.now) + t.penalty + t.work, seq: m.seq, cpu: int32(c.ID), gen: t.runGen}
	if !t.armPending {
		m.addArm(t)
	}
}

// addArm lists t's pending completion for flushArms, or pushes it at once
// with interleaving or eagerArms.
//
//go:noinline
func (m *Machine) addArm(t *Task) {
	if m.P.Interleave || m.eagerArms {
		a := t.arm
		m.evq.push(event{at: a.at, seq: a.seq, kind: evTaskDone, cpu: a.cpu, task: t, gen: a.gen})
		return
	}
	t.armPending = true
	m.arms = append(m.arms, t)
}

// flushArms pushes the completions armCompletion left pending; one that a
// later arm or switch superseded (runGen moved on) could never fire and is
// dropped.
func (m *Machine) flushArms() {
	if len(m.arms) != 0 { // inlined: most calls have nothing to push
		m.pushArms()
	}
}

func (m *Machine) pushArms() {
	for _, t := range m.arms {
		t.armPending = false
		if a := t.arm; a.gen == t.runGen {
			m.pushCompletion(a.at, a.seq, a.cpu, t, a.gen)
		}
	}
	// not cleared: the tasks live as long as the machine (m.tasks)
	m.arms = m.arms[:0]
}

func (m *Machine) armTick(c *CPU) {
	if c.tickArmed {
		return
	}
	c.tickArmed = true
	c.tickGen++
	period := uint64(1_000_000_000 / m.P.HZ)
	next := (m.now/period + 1) * period
	m.pushLane(laneTick, next, evTick, int32(c.ID), c.tickGen)
}

// Run simulates until Params.Duration and returns the results.
func (m *Machine) Run() (*Result, error) {
	m.flushArms()
	for m.evq.len() > 0 && !m.stopped {
		m.Step()
	}
	return m.finish(), nil
}

// Step processes one event. It is exported for the live dashboard, which
// advances the simulation in slices of simulated time.
func (m *Machine) Step() {
	m.flushArms() // arms made outside the event loop (set-up)
	var e event
	m.evq.popInto(&e)
	m.now = e.at
	m.events++
	if m.P.Interleave {
		m.stepInterleaved(e)
	} else {
		m.enter(max(int(e.cpu), 0), 0, nil)
		m.handleEvent(&e)
	}
	if m.exitInfo != nil && m.ejected == nil {
		m.eject()
	}
	m.flushArms()
}

// handle runs the kernel path of one event.
func (m *Machine) handle(e event) { m.handleEvent(&e) }

// handleEvent is handle with the event by reference: Step's event stays
// where popInto wrote it, not copied to the argument area.
func (m *Machine) handleEvent(e *event) {
	switch e.kind {
	case evTaskDone:
		c := m.cpus[e.cpu]
		if c.curr == e.task && e.task.runGen == e.gen {
			m.taskStep(c)
		}
	case evTick:
		c := m.cpus[e.cpu]
		if c.tickGen == e.gen {
			c.tickArmed = false
			m.tick(c)
		}
	case evWake:
		t := e.task
		if t.state == TaskSleeping && t.sleepGen == e.gen {
			m.cur.cpu = t.cpu
			t.timerWake = true
			m.tryToWakeUp(t, WakeTTWU, t.cpu)
		}
	case evResched:
		c := m.cpus[e.cpu]
		c.reschedPending = false
		m.schedule(c)
	case evFunc:
		e.fn()
	case evWatchdog:
		m.watchdog()
	case evEnd:
		m.stopped = true
	}
}

// RunUntil processes events up to simulated time t (for the dashboard).
func (m *Machine) RunUntil(t uint64) bool {
	m.flushArms()
	for m.evq.len() > 0 && !m.stopped && m.evq.firstAt() <= t {
		m.Step()
	}
	return !m.stopped && m.evq.len() > 0
}

// taskStep runs the task's behavior after its burst ended.
func (m *Machine) taskStep(c *CPU) {
	t := c.curr
	m.account(c)
	for i := 0; ; i++ {
		var a Action
		if t.hasDeferred {
			a, t.hasDeferred = t.deferred, false
		} else {
			if t.tr != nil {
				m.track(t)
			}
			a = t.behavior.Next(m, t)
			if a.Kind != ActRun && t.runStart > m.now {
				// The step charged this CPU (the waker's side of a
				// wakeup): the task sleeps, blocks or exits after it.
				t.deferred, t.hasDeferred = a, true
				t.runGen++
				m.seq++
				m.pushCompletion(t.runStart, m.seq, int32(c.ID), t, t.runGen)
				return
			}
		}
		switch a.Kind {
		case ActRun:
			t.work = max(a.D, 1)
			m.armCompletion(c)
			return
		case ActSleep, ActBlock:
			if a.Kind == ActBlock && t.wakePending {
				t.wakePending = false
				if i > 1000 {
					m.scxError(fmt.Sprintf("%s[%d]: behavior loops without running", t.Comm, t.PID))
					a = Exit()
					break
				}
				continue
			}
			t.wakePending = false
			m.deactivate(c, t, DeqSleep)
			t.state = TaskSleeping
			t.Stats.sleptAt = m.now
			t.sleepGen++
			if a.Kind == ActSleep {
				m.push(event{at: m.now + a.D, kind: evWake, task: t, gen: t.sleepGen})
			}
			m.schedule(c)
			return
		}
		if a.Kind == ActYield {
			t.work = 1
			t.K.Scx.Slice = 0
			m.schedule(c)
			if c.curr == t {
				m.armCompletion(c)
			}
			return
		}
		if a.Kind == ActExit {
			t.K.Flags |= PFExiting
			m.deactivate(c, t, DeqSleep)
			t.state = TaskExited
			t.Stats.ExitedAt = m.now
			m.schedule(c)
			m.exitTask(t)
			return
		}
	}
}

// deactivate is dequeue_task_scx() for the running task going off the CPU.
func (m *Machine) deactivate(c *CPU, t *Task, deqFlags uint64) {
	if t.K.Scx.Flags&TaskQueued == 0 {
		return
	}
	m.dequeueFromDSQ(t, deqFlags)
	if m.has(CbStopping) && c.curr == t {
		m.call(c.ID, CbStopping, t, func() int32 { m.sched.Stopping(t, false); return 0 })
	}
	if m.has(CbQuiescent) {
		m.call(c.ID, CbQuiescent, t, func() int32 { m.sched.Quiescent(t, deqFlags); return 0 })
	}
	t.K.Scx.Flags &^= TaskQueued
	t.K.Scx.Flags |= TaskDeqdForSleep
	m.lag.leave(m, t)
}

func (m *Machine) exitTask(t *Task) {
	if m.obs != nil {
		m.obs.Exit(m.now, t)
	}
	if t.enabled && m.has(CbDisable) {
		m.call(t.cpu, CbDisable, t, func() int32 { m.sched.Disable(t); return 0 })
	}
	t.enabled = false
	if t.scxInit && m.has(CbExitTask) {
		m.call(t.cpu, CbExitTask, t, func() int32 { m.sched.ExitTask(t, ExitTaskArgs{}); return 0 })
	}
	t.scxInit = false
}

// tick is task_tick_scx() at a scheduler tick.
func (m *Machine) tick(c *CPU) {
	t := c.curr
	if t == nil {
		return
	}
	m.account(c)
	if t.class == ClassFair {
		m.fairTick(c, t)
		m.armTick(c)
		return
	}
	if !t.onExt() {
		m.rtTick(c, t)
		m.armTick(c)
		return
	}
	if m.has(CbTick) {
		m.call(c.ID, CbTick, t, func() int32 { m.sched.Tick(t); return 0 })
	}
	if c.curr != t {
		return
	}
	if t.K.Scx.Slice == 0 {
		m.resched(c.ID)
	}
	m.armTick(c)
}

// schedule is __schedule() on CPU c: balance (ops.dispatch), pick the next
// task, put the previous one, switch.
func (m *Machine) schedule(c *CPU) {
	m.enter(c.ID, 0, nil)
	prev := c.curr
	if prev != nil {
		m.account(c)
	}
	prevQueued := prev != nil && prev.K.Scx.Flags&TaskQueued != 0
	prevRT := prev != nil && !prev.onExt()
	var keep bool
	if !prevRT {
		// prev_balance() starts at the ext class for an ext or idle prev
		keep = m.balance(c, prev, prevQueued)
	}
	if prevRT || len(c.rtq) > 0 || len(c.fairq) > 0 {
		// the classes above ext, highest first: RT, then fair
		next := m.pickRT(c, prev)
		if next == nil || next != prev && prev != nil && prev.class == ClassFair {
			next = m.pickFair(c, prev, next)
		}
		if next != nil {
			m.switchToRT(c, prev, next, prevQueued)
			return
		}
		if prevRT {
			keep = m.balance(c, prev, false)
		}
	}
	var next *Task
	if keep {
		next = prev
		if next.K.Scx.Slice == 0 {
			next.K.Scx.Slice = SliceDfl
		}
	} else {
		next = m.popLocal(c)
	}
	if prev != nil && prev != next && prevQueued {
		// With SCX_OPS_ENQ_LAST, ops.enqueue() sees the last runnable task
		// with SCX_ENQ_LAST; if it goes back to this CPU's local DSQ, the
		// CPU switches to idle and reschedules at once, as in the kernel.
		m.putPrev(c, prev, next == nil)
	}
	m.switchTo(c, prev, next)
}

func (m *Machine) popLocal(c *CPU) *Task {
	t := c.local.first()
	if t == nil {
		return nil
	}
	c.local.remove(t)
	if t.K.Scx.Slice == 0 {
		t.K.Scx.Slice = SliceDfl
	}
	return t
}

// putPrev is put_prev_task_scx() for a still-runnable task.
func (m *Machine) putPrev(c *CPU, p *Task, toIdle bool) {
	if m.has(CbStopping) {
		m.call(c.ID, CbStopping, p, func() int32 { m.sched.Stopping(p, true); return 0 })
	}
	p.state = TaskRunnable
	p.runnableSince = m.now
	p.woken = false
	c.curr = nil
	m.setRunnable(p)
	if p.K.Scx.Slice > 0 && m.exitInfo == nil {
		m.dispatchEnqueue(c.local, p, EnqHead)
		return
	}
	var fl uint64
	if toIdle {
		fl = EnqLast
	}
	m.doEnqueue(p, fl, c.ID)
}

// balance is balance_one(): returns whether to keep running prev.
func (m *Machine) balance(c *CPU, prev *Task, prevQueued bool) bool {
	if c.cpuReleased {
		m.cpuAcquire(c)
	}
	if prevQueued && prev.K.Scx.Slice > 0 && m.exitInfo == nil {
		return true
	}
	if c.local.Len() > 0 || m.consume(c, m.globalOf(c.ID)) {
		return false
	}
	if m.has(CbDispatch) {
		dprev := prev
		if dprev != nil && !dprev.onExt() {
			dprev = nil // ops.dispatch(cpu, prev_on_scx ? prev : NULL)
		}
		for loops := dispatchMaxLoops; ; {
			c.dspNr = 0
			c.Stats.Dispatches++
			m.call(c.ID, CbDispatch, prev, func() int32 {
				m.sched.Dispatch(int32(c.ID), dprev)
				return 0
			})
			m.flushDispatch(c)
			if c.local.Len() > 0 || m.consume(c, m.globalOf(c.ID)) {
				return false
			}
			loops--
			if loops == 0 {
				c.kicks = append(c.kicks, kick{cpu: c.ID})
				m.processKicks(c)
				break
			}
			if c.dspNr == 0 || !m.has(CbDispatch) {
				break
			}
		}
	}
	return prevQueued && (m.ops.Flags&OpsEnqLast == 0 || m.exitInfo != nil)
}

// consume moves the first task of q that may run on c to c's local DSQ
// (consume_dispatch_q()).
func (m *Machine) consume(c *CPU, q *DSQ) bool {
	if q.Len() == 0 {
		return false
	}
	t := q.firstAllowed(c.ID)
	if t == nil {
		return false
	}
	q.remove(t)
	m.setTaskCPU(t, c.ID)
	c.local.pushFIFO(t, false)
	return true
}

func (m *Machine) flushDispatch(c *CPU) {
	buf := c.dspBuf
	c.dspBuf = c.dspBuf[:0]
	for _, e := range buf {
		// finish_dispatch() (ext.c 6.12): the task must still be in the
		// policy's custody from the same enqueue (qseq)
		if e.p.qseq != e.qseq {
			continue
		}
		if e.p.queueing {
			// its ops.enqueue is still running on another CPU: spin
			// until it returns (wait_ops_state), then look again
			if co := c.co; co != nil && co.busy && !co.suspended && m.cur.cpu == c.ID {
				e.p.dspWaiters, e.p.waiters = append(e.p.dspWaiters, c.ID), true
				m.dspWaits++
				m.suspend()
				if e.p.qseq != e.qseq {
					continue
				}
			} else {
				if e.p.pendingDsp == nil {
					e := e
					e.p.pendingDsp, e.p.pendingCPU = &e, c.ID
				}
				continue
			}
		}
		if !e.p.opsQueued || e.p.state != TaskRunnable {
			continue
		}
		m.dispatchTo(e.p, e.dsq, e.flags, c.ID, false)
	}
}

func (m *Machine) switchTo(c *CPU, prev, next *Task) {
	if next == prev {
		if next != nil {
			m.armTick(c)
		} else {
			m.refreshIdle(c)
		}
		return
	}
	if prev != nil && c.curr == prev {
		c.curr = nil
	}
	if prev != nil && prev.onCPU {
		prev.onCPU = false
		prev.held += m.now - prev.onSince
	}
	m.switches++
	c.Stats.Switches++
	if prev != nil && prev.onExt() && (next == nil || !next.onExt()) {
		c.pntSeq++ // switch_class() from put_prev_task_scx()
	}
	var pp, np int32
	if prev != nil {
		pp = prev.PID
		prev.runGen++
		// context switch counts (__schedule()): voluntary if prev is no
		// longer runnable
		if prev.state == TaskRunning || prev.state == TaskRunnable {
			prev.K.Nivcsw++
		} else {
			prev.K.Nvcsw++
		}
	}
	if next != nil {
		np = next.PID
	}
	m.hash = fnvSwitch(m.hash, m.now, c.ID, uint32(pp), uint32(np))
	if m.obs != nil {
		m.obs.Switch(m.now, c.ID, prev, next)
	}
	if next == nil {
		m.updateIdle(c, true)
		return
	}
	if prev == nil {
		m.updateIdle(c, false)
	}
	if next.onExt() {
		// set_next_task_scx(): clr_task_runnable(p, true)
		next.K.Scx.Flags |= TaskResetRunnableAt
	}
	c.curr = next
	next.onCPU, next.onSince = true, m.now
	next.state = TaskRunning
	next.K.OnCPU = 1
	if prev != nil {
		prev.K.OnCPU = 0
	}
	// The switch is paid before next runs, and counts in its delay.
	next.runStart = m.now + m.P.ContextSwitch
	next.lastAcct = next.runStart
	next.K.Se.ExecStart = next.runStart
	next.K.Se.PrevSumExecRuntime = next.K.Se.SumExecRuntime
	m.Metrics.recordDelay(m, next, next.runStart)
	next.Stats.Switches++
	c.Stats.Sched += m.P.ContextSwitch
	if m.has(CbRunning) && next.onExt() {
		m.call(c.ID, CbRunning, next, func() int32 { m.sched.Running(next); return 0 })
	}
	if c.curr != next {
		return
	}
	if next.work == 0 {
		// A new task, or one just woken: ask its behavior what to do.
		m.startBehavior(c)
		return
	}
	m.armCompletion(c)
	m.armTick(c)
}

// startBehavior asks the behavior of a task that has just been switched in
// for its next step: it runs at the moment the task gets the CPU.
func (m *Machine) startBehavior(c *CPU) {
	t := c.curr
	// The task's code runs after the switch costs; model its decision at
	// the time it gets the CPU.
	if t.runStart > m.now {
		t.runGen++
		m.seq++
		m.pushCompletion(t.runStart, m.seq, int32(c.ID), t, t.runGen)
		m.armTick(c)
		return
	}
	m.armTick(c)
	m.taskStep(c)
}

func (m *Machine) updateIdle(c *CPU, idle bool) {
	if m.has(CbUpdateIdle) {
		m.call(c.ID, CbUpdateIdle, nil, func() int32 { m.sched.UpdateIdle(int32(c.ID), idle); return 0 })
	}
	if !m.builtinIdle {
		return
	}
	if idle {
		m.idle.Set(c.ID)
		core := m.coreCPUs[c.core]
		for _, s := range core {
			if !m.idle.Test(s) {
				return
			}
		}
		for _, s := range core {
			m.idleSMT.Set(s)
		}
	} else {
		m.idle.Clear(c.ID)
		m.clearSMT(c.ID)
	}
}

func (m *Machine) clearSMT(cpu int) {
	for _, s := range m.coreCPUs[m.cpuCore[cpu]] {
		m.idleSMT.Clear(s)
	}
}

func (m *Machine) fail(kind int, reason, msg string) {
	if m.exitInfo != nil || m.disabling {
		return
	}
	m.exitInfo = &ExitInfo{Kind: kind, Reason: reason, Msg: msg}
}

// unregister ends a policy still attached when the run ends, as user space
// unregistering the struct_ops map does (bpf_scx_unreg ->
// scx_disable(SCX_EXIT_UNREG)): ops.exit is called with the exit
// information. Once; nothing after it is simulated.
func (m *Machine) unregister() {
	if m.ejected != nil || m.unregInfo != nil {
		return
	}
	m.unregInfo = &ExitInfo{Kind: ExitUnreg, Reason: ExitReason(ExitUnreg)}
	m.disableTasks(m.sched, m.ops)
	if m.ops.Has(CbExit) {
		info := *m.unregInfo
		m.sched.Exit(&info)
	}
}

// ExitReason is the kernel's text for an exit kind (scx_exit_reason() in
// kernel/sched/ext.c).
func ExitReason(kind int) string {
	switch kind {
	case ExitUnreg:
		return "unregistered from user space"
	case ExitUnregBPF:
		return "unregistered from BPF"
	case ExitUnregKern:
		return "unregistered from the main kernel"
	case ExitError:
		return "runtime error"
	case ExitErrorBPF:
		return "scx_bpf_error"
	case ExitErrorStall:
		return "runnable task stall"
	}
	return "<UNKNOWN>"
}

// ExitKindName is the enumerator of an exit kind ("SCX_EXIT_UNREG").
func ExitKindName(kind int) string {
	switch kind {
	case ExitNone:
		return "SCX_EXIT_NONE"
	case ExitDone:
		return "SCX_EXIT_DONE"
	case ExitUnreg:
		return "SCX_EXIT_UNREG"
	case ExitUnregBPF:
		return "SCX_EXIT_UNREG_BPF"
	case ExitUnregKern:
		return "SCX_EXIT_UNREG_KERN"
	case ExitError:
		return "SCX_EXIT_ERROR"
	case ExitErrorBPF:
		return "SCX_EXIT_ERROR_BPF"
	case ExitErrorStall:
		return "SCX_EXIT_ERROR_STALL"
	}
	return fmt.Sprintf("%d", kind)
}

// eject ends the policy as scx_ops_disable_workfn() does: tasks in its
// custody or on its DSQs move to the global DSQ; the built-in fallback
// policy takes over; the run goes on.
func (m *Machine) eject() {
	if m.exitInfo.Kind >= ExitError {
		// scx_ops_error_irq_workfn(): the dump, before the disable work
		m.exitInfo.Dump = m.dumpState(m.exitInfo)
	}
	info := *m.exitInfo
	m.ejected = &Ejection{At: m.now, Policy: m.ops.Name, Info: info}
	if m.obs != nil {
		m.obs.Ejected(m.now, m.ejected)
	}
	old := m.sched
	oldOps := m.ops
	m.sched = fallback{}
	m.ops = m.sched.Ops()
	m.ops.DispatchMaxBatch = DispatchMaxBatchDfl
	m.builtinIdle = true
	for _, c := range m.cpus {
		c.dspBuf = c.dspBuf[:0]
	}
	for _, t := range m.tasks {
		t.K.Scx.DdspDsqID = DSQInvalid
		if t.state == TaskRunnable && (t.opsQueued || (t.dsq != nil && t.dsq.local < 0 && t.dsq.ID != DSQGlobal)) {
			if t.dsq != nil {
				t.dsq.remove(t)
			}
			t.opsQueued = false
			t.K.Scx.Slice = SliceDfl
			m.globalOf(t.cpu).pushFIFO(t, false)
		}
	}
	ids := make([]uint64, 0, len(m.userDSQ))
	for id := range m.userDSQ {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		delete(m.userDSQ, id)
	}
	m.idle = CPUMask{}
	m.idleSMT = CPUMask{}
	for _, c := range m.cpus {
		if c.curr == nil {
			m.updateIdle(c, true)
			m.resched(c.ID)
		}
	}
	// Callbacks suspended on other CPUs (interleaving) are abandoned: the
	// policy is told to drop them, and their kernel paths resume and go on
	// with the fallback's default behaviour.
	if a, ok := old.(interface{ Abort() }); ok {
		a.Abort()
	}
	for _, c := range m.cpus {
		if c.co != nil && c.co.suspended && !c.co.timed {
			c.co.timed = true
			m.push(event{at: m.now, kind: evResume, cpu: int32(c.ID)})
		}
	}
	m.disableTasks(old, oldOps)
	if oldOps.Has(CbExit) {
		old.Exit(&info)
	}
}
