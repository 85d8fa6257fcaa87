package sim

import "slices"

// Observer is the one way out of a running machine: metrics writers, trace
// writers, the live dashboard and bench all see what happens through it,
// and read state between events through the Machine's read-only accessors
// (Now, CPUs, Tasks, DSQs, Step, RunUntil). Nobody adds private hooks.
//
// Calls arrive in simulation order, synchronously, from inside the event
// being processed; an observer must not change the machine (it may read
// it). Time is simulated ns. A task pointer stays valid for the whole run;
// prev or next of a switch is nil for the idle task.
//
// Observing costs nothing when nobody listens: every call site tests one
// pointer. Embed BaseObserver to implement only the methods needed.
type Observer interface {
	// Fork: t was created (sched_process_fork / wake_up_new_task).
	Fork(at uint64, t *Task)
	// Waking: try_to_wake_up() begins for t, called from code on wakerCPU
	// (sched_waking).
	Waking(at uint64, t *Task, wakerCPU int)
	// Wakeup: t became runnable on cpu's runqueue (sched_wakeup, or
	// sched_wakeup_new when isNew).
	Wakeup(at uint64, t *Task, cpu int, isNew bool)
	// Migrate: t's CPU changed (sched_migrate_task).
	Migrate(at uint64, t *Task, from, to int)
	// Switch: a context switch on cpu. prev's state after the switch says
	// why it left: TaskRunnable (preempted), TaskSleeping, TaskExited.
	Switch(at uint64, cpu int, prev, next *Task)
	// Exit: t exited (sched_process_exit).
	Exit(at uint64, t *Task)
	// CallbackStart and CallbackEnd bracket one callback of the policy on
	// cpu (t is the task argument, or nil). With interleaving a callback
	// may span simulated time; end.Ns is the scheduler time it charged and
	// end.Insns the BPF instructions it ran (0 for Go policies).
	CallbackStart(at uint64, cpu int, cb Callback, t *Task)
	CallbackEnd(at uint64, cpu int, cb Callback, t *Task, end CallbackEnd)
	// DSQ: t was inserted into (inserted) or removed from q. q.Len() is
	// already the new depth.
	DSQ(at uint64, q *DSQ, t *Task, inserted bool)
	// Ejected: the policy was ejected; the fallback runs from now on.
	Ejected(at uint64, e *Ejection)
	// Request: a request of workload group (the task's Group) completed
	// after latency ns: one sample of that workload's reported latency
	// (WorkloadResult.Latency), after the warmup.
	Request(at uint64, group int, latency uint64)
	// Policy: an event the policy's runtime reports (lock wait, acquire and
	// release, printk, deadlock reports, per-task counters), forwarded from
	// the BPF side by Kernel.Emit.
	Policy(at uint64, cpu int, ev PolicyEvent)
}

// CallbackEnd is what a callback cost.
type CallbackEnd struct {
	Ns    uint64 // simulated scheduler time charged by the callback
	Insns uint64 // BPF instructions executed (0 for Go policies)
	Ret   int32  // the callback's return value, where it has one
}

// PolicyEventKind says what a PolicyEvent reports.
type PolicyEventKind uint8

const (
	// PolicyLockWait: the CPU starts waiting for the lock Name (Site is
	// the source line of the acquisition).
	PolicyLockWait PolicyEventKind = iota + 1
	// PolicyLockAcquire: the CPU holds the lock Name.
	PolicyLockAcquire
	// PolicyLockRelease: the CPU released the lock Name.
	PolicyLockRelease
	// PolicyPrintk: a bpf_printk line, in Text.
	PolicyPrintk
	// PolicyDeadlock: a lockdep-style report, in Text.
	PolicyDeadlock
	// PolicyCounter: a per-task figure the policy exports (Name, e.g.
	// "vruntime"), Value for task PID.
	PolicyCounter
)

func (k PolicyEventKind) String() string {
	switch k {
	case PolicyLockWait:
		return "lock_wait"
	case PolicyLockAcquire:
		return "lock_acquire"
	case PolicyLockRelease:
		return "lock_release"
	case PolicyPrintk:
		return "printk"
	case PolicyDeadlock:
		return "deadlock"
	case PolicyCounter:
		return "counter"
	}
	return "PolicyEventKind(?)"
}

// PolicyEvent is an event from the policy's runtime.
type PolicyEvent struct {
	Kind  PolicyEventKind
	Name  string // lock or counter name
	Site  string // source location, where known
	Text  string // printk line, deadlock report
	PID   int32  // the task a counter is about
	Value float64
}

// BaseObserver implements Observer with methods that do nothing; embed it
// and override what you need.
type BaseObserver struct{}

func (BaseObserver) Fork(uint64, *Task)                                    {}
func (BaseObserver) Waking(uint64, *Task, int)                             {}
func (BaseObserver) Wakeup(uint64, *Task, int, bool)                       {}
func (BaseObserver) Migrate(uint64, *Task, int, int)                       {}
func (BaseObserver) Switch(uint64, int, *Task, *Task)                      {}
func (BaseObserver) Exit(uint64, *Task)                                    {}
func (BaseObserver) CallbackStart(uint64, int, Callback, *Task)            {}
func (BaseObserver) CallbackEnd(uint64, int, Callback, *Task, CallbackEnd) {}
func (BaseObserver) DSQ(uint64, *DSQ, *Task, bool)                         {}
func (BaseObserver) Ejected(uint64, *Ejection)                             {}
func (BaseObserver) Request(uint64, int, uint64)                           {}
func (BaseObserver) Policy(uint64, int, PolicyEvent)                       {}

// PolicyInterest is implemented by observers that want only some kinds of
// Policy events. The policy's runtime asks Kernel.Wants before it prepares
// an event (reading a map for counters, formatting a source line), so an
// event nobody wants costs nothing; an event some observer wants still goes
// to every observer. Observers without it want every kind.
type PolicyInterest interface {
	WantsPolicy(kind PolicyEventKind) bool
}

// Observe adds o to the machine's observers; from now on it is told of
// every event, in order. Observers are called in the order they were added.
func (m *Machine) Observe(o Observer) {
	if o == nil {
		return
	}
	for k := PolicyLockWait; k <= PolicyCounter; k++ {
		if pi, ok := o.(PolicyInterest); !ok || pi.WantsPolicy(k) {
			m.wants |= 1 << k
		}
	}
	switch cur := m.obs.(type) {
	case nil:
		m.obs = o
	case fanout:
		m.obs = append(cur, o)
	default:
		m.obs = fanout{cur, o}
	}
}

// request records one sample of a workload's request latency and tells
// the observers.
func (m *Machine) request(h *Histogram, group int, d uint64) {
	h.Record(d)
	if m.obs != nil {
		m.obs.Request(m.now, group, d)
	}
}

// Done reports whether the run is over (its duration reached, a failure
// stopped it, or no event is left): Step must not be called then.
func (m *Machine) Done() bool { return m.stopped || (m.evq.len() == 0 && len(m.arms) == 0) }

// Observed reports whether anybody observes the machine (so that a policy
// can skip preparing events nobody reads).
func (k *Kernel) Observed() bool { return k.m.obs != nil }

// Wants reports whether an observer wants Policy events of kind (see
// PolicyInterest): a policy skips preparing the others.
func (k *Kernel) Wants(kind PolicyEventKind) bool { return k.m.wants&(1<<kind) != 0 }

// Emit reports a policy-runtime event to the observers, on the current CPU.
func (k *Kernel) Emit(ev PolicyEvent) {
	if k.m.obs != nil {
		k.m.obs.Policy(k.m.now, k.m.cur.cpu, ev)
	}
}

// CountInsns adds n BPF instructions to the callback in progress (reported
// in CallbackEnd).
func (k *Kernel) CountInsns(n uint64) { k.m.cur.insns += n }

// DSQs returns the global DSQs (one per NUMA node from 6.13) and every user DSQ, by ID (local DSQs are
// CPU.Local()).
func (m *Machine) DSQs() []*DSQ {
	qs := make([]*DSQ, 0, len(m.globals)+len(m.userDSQ))
	qs = append(qs, m.globals...)
	ids := make([]uint64, 0, len(m.userDSQ))
	for id := range m.userDSQ {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		qs = append(qs, m.userDSQ[id])
	}
	return qs
}

// fanout sends every event to several observers, in order.
type fanout []Observer

func (f fanout) Fork(at uint64, t *Task) {
	for _, o := range f {
		o.Fork(at, t)
	}
}

func (f fanout) Waking(at uint64, t *Task, w int) {
	for _, o := range f {
		o.Waking(at, t, w)
	}
}

func (f fanout) Wakeup(at uint64, t *Task, cpu int, isNew bool) {
	for _, o := range f {
		o.Wakeup(at, t, cpu, isNew)
	}
}

func (f fanout) Migrate(at uint64, t *Task, from, to int) {
	for _, o := range f {
		o.Migrate(at, t, from, to)
	}
}

func (f fanout) Switch(at uint64, cpu int, prev, next *Task) {
	for _, o := range f {
		o.Switch(at, cpu, prev, next)
	}
}

func (f fanout) Exit(at uint64, t *Task) {
	for _, o := range f {
		o.Exit(at, t)
	}
}

func (f fanout) CallbackStart(at uint64, cpu int, cb Callback, t *Task) {
	for _, o := range f {
		o.CallbackStart(at, cpu, cb, t)
	}
}

func (f fanout) CallbackEnd(at uint64, cpu int, cb Callback, t *Task, e CallbackEnd) {
	for _, o := range f {
		o.CallbackEnd(at, cpu, cb, t, e)
	}
}

func (f fanout) DSQ(at uint64, q *DSQ, t *Task, ins bool) {
	for _, o := range f {
		o.DSQ(at, q, t, ins)
	}
}

func (f fanout) Ejected(at uint64, e *Ejection) {
	for _, o := range f {
		o.Ejected(at, e)
	}
}

func (f fanout) Request(at uint64, group int, d uint64) {
	for _, o := range f {
		o.Request(at, group, d)
	}
}

func (f fanout) Policy(at uint64, cpu int, ev PolicyEvent) {
	for _, o := range f {
		o.Policy(at, cpu, ev)
	}
}
