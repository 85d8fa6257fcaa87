package sim

// Callback names a member of struct sched_ext_ops.
type Callback uint64

const (
	CbSelectCPU Callback = 1 << iota
	CbEnqueue
	CbDequeue
	CbDispatch
	CbTick
	CbRunnable
	CbRunning
	CbStopping
	CbQuiescent
	CbYield
	CbSetWeight
	CbSetCPUMask
	CbUpdateIdle
	CbInitTask
	CbExitTask
	CbEnable
	CbDisable
	CbCPUOnline
	CbCPUOffline
	CbInit
	CbExit
	CbCgroupInit
	CbCgroupExit
	CbCgroupPrepMove
	CbCgroupMove
	CbCgroupCancelMove
	CbCgroupSetWeight
	CbCgroupSetBandwidth
	CbCPUAcquire
	CbCPURelease
	CbDump
	CbDumpCPU
	CbDumpTask
)

var callbackNames = []string{"select_cpu", "enqueue", "dequeue", "dispatch", "tick",
	"runnable", "running", "stopping", "quiescent", "yield", "set_weight", "set_cpumask",
	"update_idle", "init_task", "exit_task", "enable", "disable", "cpu_online",
	"cpu_offline", "init", "exit", "cgroup_init", "cgroup_exit", "cgroup_prep_move",
	"cgroup_move", "cgroup_cancel_move", "cgroup_set_weight", "cgroup_set_bandwidth",
	"cpu_acquire", "cpu_release", "dump", "dump_cpu", "dump_task"}

func (c Callback) String() string {
	for i, n := range callbackNames {
		if c == 1<<i {
			return n
		}
	}
	return "callback?"
}

// Ops carries the data members of struct sched_ext_ops and the set of
// callbacks a policy implements (the kernel tests each op pointer for NULL
// and falls back to built-in behaviour; so does the simulator).
type Ops struct {
	Name             string
	Flags            uint64 // Ops* flags
	TimeoutMs        uint32 // watchdog timeout; 0 means the 30 s maximum
	DispatchMaxBatch uint32 // 0 means DispatchMaxBatchDfl
	// ExitDumpLen is ops.exit_dump_len: the size of the debug dump made
	// when the policy is ejected by an error; 0 means ExitDumpDflLen.
	ExitDumpLen uint32
	Implements  Callback
}

// Has reports whether the policy implements callback c.
func (o *Ops) Has(c Callback) bool { return o.Implements&c != 0 }

// InitTaskArgs is struct scx_init_task_args.
type InitTaskArgs struct {
	Fork   bool
	Cgroup *Cgroup // the task's cgroup
}

// ExitTaskArgs is struct scx_exit_task_args.
type ExitTaskArgs struct{ Cancelled bool }

// ExitInfo is struct scx_exit_info: why a policy stopped.
type ExitInfo struct {
	Kind   int
	Code   int64
	Reason string // e.g. "scx_bpf_error", "runnable task stall"
	Msg    string
	// Dump is the debug dump (ei->dump) scx_dump_state() wrote when an
	// error ended the policy (dump.go); empty otherwise.
	Dump string
}

// CPUReleaseArgs is struct scx_cpu_release_args (ops.cpu_release).
type CPUReleaseArgs struct {
	Reason int32 // SCX_CPU_PREEMPT_*: CPUPreemptRT here
	Task   *Task // the task of the higher class about to run on the CPU
}

// The reasons of CPUReleaseArgs (enum scx_cpu_preempt_reason).
const (
	CPUPreemptRT      = 0
	CPUPreemptDL      = 1
	CPUPreemptStop    = 2
	CPUPreemptUnknown = 3
)

// CPUClassCallbacks is implemented by policies with ops.cpu_acquire and
// ops.cpu_release (and listed in Ops.Implements): a CPU is taken by a
// task of a higher scheduling class, and given back (class_rt.go).
type CPUClassCallbacks interface {
	CPUAcquire(cpu int32)
	CPURelease(cpu int32, args CPUReleaseArgs)
}

// DumpCtx is struct scx_dump_ctx, passed to the dump callbacks.
type DumpCtx struct {
	Kind      int
	ExitCode  int64
	Reason    string
	AtNs      uint64
	AtJiffies uint64
}

// Attacher is implemented by policies that act once the attach is
// complete: after ops.init and ops.cgroup_init for every cgroup, where a
// scheduler's user space goes on (BPF_PROG_RUN of its syscall programs
// after attach). An error fails the machine as one from Init does.
type Attacher interface {
	Attached() error
}

// Dumper is implemented by policies with ops.dump, ops.dump_cpu and
// ops.dump_task (and listed in Ops.Implements): called when an error
// ejects the policy, to add to the debug dump (Kernel.DumpAppend).
type Dumper interface {
	Dump(ctx *DumpCtx)
	DumpCPU(ctx *DumpCtx, cpu int32, idle bool)
	DumpTask(ctx *DumpCtx, p *Task)
}

// Scheduler is the Go mirror of struct sched_ext_ops. The simulator calls
// only the callbacks listed in Ops().Implements, at the moments Linux does
// (kernel/sched/ext.c), except Init, which is always called first: it hands
// the policy its Kernel (and runs ops.init if the policy has one). Callbacks run on the simulated CPU k.CPU() and may
// call the kfunc-like methods of the Kernel given to Init.
//
// Embed NopScheduler to implement only some callbacks.
type Scheduler interface {
	Ops() Ops
	Init(k *Kernel) error
	Exit(info *ExitInfo)
	SelectCPU(p *Task, prevCPU int32, wakeFlags uint64) int32
	Enqueue(p *Task, enqFlags uint64)
	Dequeue(p *Task, deqFlags uint64)
	Dispatch(cpu int32, prev *Task)
	Tick(p *Task)
	Runnable(p *Task, enqFlags uint64)
	Running(p *Task)
	Stopping(p *Task, runnable bool)
	Quiescent(p *Task, deqFlags uint64)
	Yield(from, to *Task) bool
	SetWeight(p *Task, weight uint32)
	SetCPUMask(p *Task, mask *CPUMask)
	UpdateIdle(cpu int32, idle bool)
	InitTask(p *Task, args InitTaskArgs) int32
	ExitTask(p *Task, args ExitTaskArgs)
	Enable(p *Task)
	Disable(p *Task)
	CPUOnline(cpu int32)
	CPUOffline(cpu int32)
}

// NopScheduler implements every callback as doing nothing; embed it and
// override what the policy implements (and list those in Ops.Implements).
type NopScheduler struct{}

func (NopScheduler) Init(*Kernel) error                            { return nil }
func (NopScheduler) Exit(*ExitInfo)                                {}
func (NopScheduler) SelectCPU(_ *Task, prev int32, _ uint64) int32 { return prev }
func (NopScheduler) Enqueue(*Task, uint64)                         {}
func (NopScheduler) Dequeue(*Task, uint64)                         {}
func (NopScheduler) Dispatch(int32, *Task)                         {}
func (NopScheduler) Tick(*Task)                                    {}
func (NopScheduler) Runnable(*Task, uint64)                        {}
func (NopScheduler) Running(*Task)                                 {}
func (NopScheduler) Stopping(*Task, bool)                          {}
func (NopScheduler) Quiescent(*Task, uint64)                       {}
func (NopScheduler) Yield(*Task, *Task) bool                       { return false }
func (NopScheduler) SetWeight(*Task, uint32)                       {}
func (NopScheduler) SetCPUMask(*Task, *CPUMask)                    {}
func (NopScheduler) UpdateIdle(int32, bool)                        {}
func (NopScheduler) InitTask(*Task, InitTaskArgs) int32            { return 0 }
func (NopScheduler) ExitTask(*Task, ExitTaskArgs)                  {}
func (NopScheduler) Enable(*Task)                                  {}
func (NopScheduler) Disable(*Task)                                 {}
func (NopScheduler) CPUOnline(int32)                               {}
func (NopScheduler) CPUOffline(int32)                              {}
func (NopScheduler) CPUAcquire(int32)                              {}
func (NopScheduler) CPURelease(int32, CPUReleaseArgs)              {}
func (NopScheduler) Dump(*DumpCtx)                                 {}
func (NopScheduler) DumpCPU(*DumpCtx, int32, bool)                 {}
func (NopScheduler) DumpTask(*DumpCtx, *Task)                      {}

// fallback is the built-in policy a run continues under after a policy is
// ejected: it implements no callback, so the core's defaults apply
// (select_cpu_dfl with direct dispatch to an idle CPU, the global DSQ).
type fallback struct{ NopScheduler }

func (fallback) Ops() Ops { return Ops{Name: "fallback"} }
