package sim

// sched_ext constants, with the values of include/linux/sched/ext.h and
// kernel/sched/ext.c (Linux 6.12; names as 6.13+ spell them).

// Dispatch queue ids (enum scx_dsq_id_flags).
const (
	DSQFlagBuiltin  uint64 = 1 << 63
	DSQFlagLocalOn  uint64 = 1 << 62
	DSQInvalid             = DSQFlagBuiltin | 0
	DSQGlobal              = DSQFlagBuiltin | 1
	DSQLocal               = DSQFlagBuiltin | 2
	DSQLocalOn             = DSQFlagBuiltin | DSQFlagLocalOn
	DSQLocalCPUMask uint64 = 0xffffffff
)

// Slices (enum scx_public_consts).
const (
	SliceDfl uint64 = 20 * 1000 * 1000 // SCX_SLICE_DFL, 20 ms
	SliceInf uint64 = ^uint64(0)       // SCX_SLICE_INF
)

// Operation flags (enum scx_ops_flags).
const (
	OpsKeepBuiltinIdle uint64 = 1 << 0
	OpsEnqLast         uint64 = 1 << 1
	OpsEnqExiting      uint64 = 1 << 2
	OpsSwitchPartial   uint64 = 1 << 3
	// OpsBuiltinIdlePerNode is SCX_OPS_BUILTIN_IDLE_PER_NODE (6.15).
	OpsBuiltinIdlePerNode uint64 = 1 << 6
)

// Enqueue flags (enum scx_enq_flags).
const (
	EnqWakeup      uint64 = 1 << 0
	EnqHead        uint64 = 1 << 4
	EnqCPUSelected uint64 = 1 << 10
	EnqPreempt     uint64 = 1 << 32
	EnqReenq       uint64 = 1 << 40
	EnqLast        uint64 = 1 << 41
	enqClearOpss   uint64 = 1 << 56 // internal
	EnqDSQPriq     uint64 = 1 << 57 // internal: vtime-ordered insertion
)

// Dequeue flags (enum scx_deq_flags).
const (
	DeqSleep uint64 = 1 << 0
)

// Wake flags (enum scx_wake_flags).
const (
	WakeExec uint64 = 0x02
	WakeFork uint64 = 0x04
	WakeTTWU uint64 = 0x08
	WakeSync uint64 = 0x10
)

// Kick flags (enum scx_kick_flags).
const (
	KickIdle    uint64 = 1 << 0
	KickPreempt uint64 = 1 << 1
	KickWait    uint64 = 1 << 2
)

// Idle-pick flags (enum scx_pick_idle_cpu_flags).
const (
	PickIdleCore uint64 = 1 << 0
)

// Task flags in p->scx.flags (enum scx_ent_flags).
const (
	TaskQueued          uint32 = 1 << 0
	TaskResetRunnableAt uint32 = 1 << 2
	TaskDeqdForSleep    uint32 = 1 << 3
)

// Exit kinds (enum scx_exit_kind).
const (
	ExitNone       = 0
	ExitDone       = 1
	ExitUnreg      = 64
	ExitUnregBPF   = 65
	ExitUnregKern  = 66
	ExitError      = 1024
	ExitErrorBPF   = 1025
	ExitErrorStall = 1026
)

// Limits of the core (kernel/sched/ext.c).
const (
	DispatchMaxBatchDfl = 32             // SCX_DSP_DFL_MAX_BATCH
	dispatchMaxLoops    = 32             // SCX_DSP_MAX_LOOPS
	WatchdogMaxTimeout  = 30_000_000_000 // SCX_WATCHDOG_MAX_TIMEOUT, 30 s
	// NrCPUs is the largest machine schedsim simulates (the kernel's NR_CPUS
	// as far as cpumasks are concerned).
	NrCPUs = 512
)

// NiceToWeight is the kernel's sched_prio_to_weight table
// (kernel/sched/core.c), indexed by nice+20.
var NiceToWeight = [40]uint32{
	/* -20 */ 88761, 71755, 56483, 46273, 36291,
	/* -15 */ 29154, 23254, 18705, 14949, 11916,
	/* -10 */ 9548, 7620, 6100, 4904, 3906,
	/*  -5 */ 3121, 2501, 1991, 1586, 1277,
	/*   0 */ 1024, 820, 655, 526, 423,
	/*   5 */ 335, 272, 215, 172, 137,
	/*  10 */ 110, 87, 70, 56, 45,
	/*  15 */ 36, 29, 23, 18, 15,
}

// ScxWeight converts a CFS load weight to the cgroup-style weight that
// sched_ext exposes in p->scx.weight (set_task_scx_weight():
// sched_weight_to_cgroup, 100 for nice 0, clamped to [1, 10000]).
func ScxWeight(w uint32) uint32 {
	v := (uint64(w)*100 + 512) / 1024
	return uint32(min(max(v, 1), 10000))
}
