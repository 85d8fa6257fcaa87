package sim

// TaskState is where a task is in its lifecycle.
type TaskState uint8

const (
	TaskNew      TaskState = iota // forked, not yet runnable
	TaskRunnable                  // queued: on a DSQ or in the policy's custody
	TaskRunning                   // on a CPU
	TaskSleeping                  // blocked or sleeping
	TaskExited
	TaskWaking // being woken: select_cpu/enqueue in progress (interleaving)
)

func (s TaskState) String() string {
	return [...]string{"new", "runnable", "running", "sleeping", "exited", "waking"}[s]
}

// Task is a simulated thread. Its kernel-visible state lives in K (which a
// BPF policy reads and writes directly); the rest is the simulator's.
//
// The field order is a cache layout (a Task is 640 bytes, allocated 64
// at a time by Machine.newTask, so 64-byte aligned; TestCacheLayout checks
// the lines): on a machine with
// hundreds of CPUs and tasks every event finds a task's lines cold, so the
// fields an event touches together share lines. Line 0 is what nearly every
// event reads; lines 1-2 are accounting (account, charge, the lag's
// sync/check) with Stats' first three fields; line 3 is the rest of Stats
// that wakeups and switches update; line 4 the wakeup path (enqueue, delay
// measurement); line 5 the behavior, its workload's tracker and the DSQ
// links. What follows is cold: RT and fair class state, interleaving, the
// window's snapshot.
type Task struct {
	// line 0
	K *TaskStruct

	state       TaskState
	class       TaskClass // scheduling class (class_rt.go)
	onCPU       bool
	gpsIn       bool // counted among the runnable tasks (lag.go)
	woken       bool // the current runnable period began with a wakeup
	wakePending bool // a Wake arrived while not blocked
	timerWake   bool // the wakeup in progress ends a timed sleep (no waker task)
	hasDeferred bool // deferred is set (a value, not a pointer: no allocation per step)
	armPending  bool // arm waits in Machine.arms to be pushed
	opsQueued   bool // in the BPF scheduler's custody (ops_state QUEUED)
	waiters     bool // dspWaiters is not empty
	queueing    bool // ops.enqueue in progress (ops_state QUEUEING)
	enabled     bool // ops.enable() was called
	// scxInit: the attached policy initialised the task (ops.init_task,
	// or its absence) and has not exited it: SCX_TASK_READY or ENABLED
	scxInit bool

	PID      int32
	Weight   uint32 // CFS load weight from the nice table
	sleepGen uint32
	runGen   uint32
	cpu      int // task_cpu(p)

	work     uint64 // ns of CPU left in the current burst
	lastAcct uint64 // slice/runtime accounted up to here

	// line 1
	penalty  uint64 // cache refill cost owed after a migration
	runStart uint64 // the task progresses from here on (after switch costs)
	arm      armed  // the last completion armed (armCompletion)
	// time holding a CPU (switched in, including the switch and other
	// overhead charged meanwhile): the service lag compares
	held    uint64
	onSince uint64
	// Lag tracking (see lag.go).
	gpsGroup int32 // affinity group
	rqCPU    int32 // runqueue counted in

	// line 2
	Nice     int
	gpsRef   float64 // the group's accumulator for the task's level when last synced
	gpsIdeal float64 // ideal service up to the last sync
	rqRef    float64 // the runqueue's virtual time when last synced
	rqIdeal  float64 // ideal service on its runqueues up to the last sync

	// Stats' first three fields end line 2, the next eight are line 3.
	Stats TaskStats

	// line 4, after Stats' last three fields
	runnableSince uint64
	wokeAt        uint64
	// qseq numbers the task's enqueues (the ops_state QSEQ): a dispatch
	// recorded during one enqueue has no claim on the task after another.
	qseq uint64
	// a dispatch of this task made while ops.enqueue was still running on
	// another CPU, on a path that cannot wait: it completes when the
	// enqueue returns.
	pendingDsp *dspEntry
	dsq        *DSQ // the dispatch queue holding the task

	// line 5
	behavior Behavior
	// Group is the index of the workload that created the task.
	Group      int
	prev, next *Task // FIFO links
	// the workload's tracker of wakeup latencies, and the task's
	// wakeups and WakeLatSum at its last sample (Machine.track)
	tr                   *tracker
	trWakeups, trWakeLat uint64

	// cold
	// dspWaiters are the CPUs whose dispatch flush waits for this task's
	// ops.enqueue to return (finish_dispatch(), interleaving only).
	dspWaiters []int
	heapIdx    int // vtime heap index
	dsqSeq     uint64

	Comm string

	// for RT tasks, rt_priority (class_rt.go)
	rtPrio int
	// SCHED_RR: ticks left of the round-robin slice, and a requeue to the
	// tail of its priority due at the next pick
	rtRR      bool
	rtSlice   int
	rtRequeue bool
	// the fair class (class_fair.go): vruntime and the time run since
	// the task was last picked
	fairVrt uint64
	fairRan uint64

	pendingCPU int

	deferred Action // a step to take once the CPU time charged meanwhile has passed

	win      TaskStats // Stats at the start of the measured window
	forkedAt uint64
	_        [8]byte // to 640 bytes, ten lines (Machine.newTask)
}

// TaskStats are per-task measurements.
type TaskStats struct {
	// In the order of Task's cache lines: account and the lag update
	// the first three, wakeups and switches the next eight.
	Runtime    uint64  // ns on a CPU
	MaxLag     float64 // max |ideal - actual| service (affinity-aware GPS), ns, in the window
	MaxRqLag   float64 // max |ideal - actual| service on its runqueue, ns, in the window
	Switches   uint64  // times switched in
	Wakeups    uint64
	SleepTime  uint64
	sleptAt    uint64
	DelaySum   uint64 // runnable-to-running delay (perf sched latency)
	DelayMax   uint64
	Delays     uint64
	WakeLatSum uint64 // wakeup-to-running delay
	WakeLatMax uint64
	Migrations uint64
	ExitedAt   uint64
}

// State returns the task's lifecycle state.
func (t *Task) State() TaskState { return t.state }

// WokenByTimer reports whether the task's latest wakeup ended a timed
// sleep (a timer, in interrupt context) rather than coming from another
// task's Machine.Wake: observers of Waking and Wakeup use it to tell the
// two apart (a trace writer marks the former as hardirq context).
func (t *Task) WokenByTimer() bool { return t.timerWake }

// CPU returns task_cpu(p): the CPU the task last ran on or is queued for.
func (t *Task) CPU() int { return t.cpu }

// Runnable reports whether the task is queued or running.
func (t *Task) Runnable() bool { return t.state == TaskRunnable || t.state == TaskRunning }

// Allowed reports whether the task may run on cpu.
func (t *Task) Allowed(cpu int) bool { return t.K.CpusMask.Test(cpu) }

// ActionKind is what a task does next.
type ActionKind uint8

const (
	ActRun   ActionKind = iota // compute for D ns of CPU time
	ActSleep                   // sleep D ns, then wake up
	ActBlock                   // sleep until Machine.Wake
	ActExit                    // exit
	ActYield                   // sched_yield(): stay runnable, give up the rest of the slice
)

// Action is a task's next step.
type Action struct {
	Kind ActionKind
	D    uint64
}

// Run, Sleep, Block and Exit build actions.
func Run(d uint64) Action   { return Action{ActRun, d} }
func Sleep(d uint64) Action { return Action{ActSleep, d} }
func Block() Action         { return Action{Kind: ActBlock} }
func Exit() Action          { return Action{Kind: ActExit} }

// Yield is sched_yield() for a sched_ext task (yield_task_scx without
// ops.yield): its slice becomes 0 and the CPU enters the scheduler at once;
// the task stays runnable, so ops.dispatch sees it as prev (and may give it
// a new slice), else put_prev_task_scx hands it to ops.enqueue. When it
// runs again it calls Next after 1 ns.
func Yield() Action { return Action{Kind: ActYield} }

// Behavior drives a task: Next is called when the task starts and each time
// it finishes a step (its CPU burst ran out, or it woke up), at the
// simulated time of that moment, and returns the next step. Next may call
// Machine methods (Wake other tasks, schedule events); it runs on the
// task's CPU, and wakeups it makes count as made by the task.
type Behavior interface {
	Next(m *Machine, t *Task) Action
}

// BehaviorFunc adapts a function to Behavior.
type BehaviorFunc func(m *Machine, t *Task) Action

func (f BehaviorFunc) Next(m *Machine, t *Task) Action { return f(m, t) }

// armed is a completion event armCompletion has scheduled but not pushed yet.
type armed struct {
	at  uint64
	seq uint64
	cpu int32
	gen uint32
}
