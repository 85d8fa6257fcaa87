package sim

import (
	"math/bits"
	"unsafe"
)

// The kernel objects a policy sees are defined here, once, with a fixed
// layout. Package policies derives from these Go definitions (through the
// `btf` struct tags: the kernel's field names) the simulated kernel's BTF,
// used for CO-RE relocation, and the C header written by `schedsim vmlinux`.
//
// A Task's TaskStruct may live in a BPF VM's linear memory (the BPF bridge
// supplies a TaskAllocator), so the simulator and the BPF program read and
// write the very same bytes: no copying between a "Go task" and a "BPF task".
// For that reason these types hold no Go pointers, only integers; pointer
// fields hold addresses.

// CPUMask is struct cpumask: a bitmap of NrCPUs bits.
type CPUMask struct {
	Bits [NrCPUs / 64]uint64 `btf:"bits"`
}

// Set, Clear and Test operate on one CPU.
func (m *CPUMask) Set(cpu int)   { m.Bits[cpu>>6] |= 1 << (cpu & 63) }
func (m *CPUMask) Clear(cpu int) { m.Bits[cpu>>6] &^= 1 << (cpu & 63) }
func (m *CPUMask) Test(cpu int) bool {
	return cpu >= 0 && cpu < NrCPUs && m.Bits[cpu>>6]&(1<<(cpu&63)) != 0
}

// Weight is the number of CPUs set.
func (m *CPUMask) Weight() int {
	n := 0
	for _, w := range m.Bits {
		n += bits.OnesCount64(w)
	}
	return n
}

// SetFirst sets CPUs 0..n-1.
func (m *CPUMask) SetFirst(n int) {
	for c := 0; c < n; c++ {
		m.Set(c)
	}
}

// Empty reports whether no CPU is set.
func (m *CPUMask) Empty() bool {
	for _, w := range m.Bits {
		if w != 0 {
			return false
		}
	}
	return true
}

// And sets m to a&b.
func (m *CPUMask) And(a, b *CPUMask) {
	for i := range m.Bits {
		m.Bits[i] = a.Bits[i] & b.Bits[i]
	}
}

// nextAnd is the first CPU >= from set in both a and b, or -1: (a & b).Next(from).
func nextAnd(a, b *CPUMask, from int) int {
	if from < 0 {
		from = 0
	}
	i := from >> 6
	if i >= len(a.Bits) {
		return -1
	}
	w := a.Bits[i] & b.Bits[i] & (^uint64(0) << (from & 63))
	for w == 0 {
		i++
		if i >= len(a.Bits) {
			return -1
		}
		w = a.Bits[i] & b.Bits[i]
	}
	return i<<6 | bits.TrailingZeros64(w)
}

// Next returns the first CPU >= from that is set, or -1.
func (m *CPUMask) Next(from int) int {
	if from < 0 {
		from = 0
	}
	for i := from >> 6; i < len(m.Bits); i++ {
		w := m.Bits[i]
		if i == from>>6 {
			w &= ^uint64(0) << (from & 63)
		}
		if w != 0 {
			return i<<6 | bits.TrailingZeros64(w)
		}
	}
	return -1
}

// SchedExtEntity is struct sched_ext_entity, the scx member of task_struct.
// A BPF program may write only Slice, DsqVtime and Disallow.
type SchedExtEntity struct {
	Dsq        uint64 `btf:"dsq" ctype:"struct scx_dispatch_q *"`
	DsqSeq     uint32 `btf:"dsq_seq"`
	DsqFlags   uint32 `btf:"dsq_flags"`
	Flags      uint32 `btf:"flags"`
	Weight     uint32 `btf:"weight"`
	StickyCPU  int32  `btf:"sticky_cpu"`
	HoldingCPU int32  `btf:"holding_cpu"`
	KfMask     uint32 `btf:"kf_mask"`
	_          uint32
	OpsState   int64  `btf:"ops_state"`
	RunnableAt uint64 `btf:"runnable_at"`
	DdspDsqID  uint64 `btf:"ddsp_dsq_id"`
	DdspEnqFl  uint64 `btf:"ddsp_enq_flags"`
	Slice      uint64 `btf:"slice"`
	DsqVtime   uint64 `btf:"dsq_vtime"`
	Disallow   uint8  `btf:"disallow" ctype:"bool"`
	_          [7]uint8
}

// TaskStruct is the simulated struct task_struct: the fields sched_ext
// policies read, with the kernel's names.
type TaskStruct struct {
	State         uint32         `btf:"__state"`
	Flags         uint32         `btf:"flags"`
	OnCPU         int32          `btf:"on_cpu"`
	CPU           uint32         `btf:"cpu"` // thread_info.cpu in the kernel
	Pid           int32          `btf:"pid"`
	Tgid          int32          `btf:"tgid"`
	Prio          int32          `btf:"prio"`
	StaticPrio    int32          `btf:"static_prio"`
	NormalPrio    int32          `btf:"normal_prio"`
	RtPriority    uint32         `btf:"rt_priority"`
	Policy        uint32         `btf:"policy"`
	NrCpusAllowed int32          `btf:"nr_cpus_allowed"`
	CpusPtr       uint64         `btf:"cpus_ptr" ctype:"const struct cpumask *"`
	Scx           SchedExtEntity `btf:"scx"`
	// The rest are fields upstream schedulers read (ktasks.go). Their
	// order is not the kernel's: programs reach every field through CO-RE
	// relocations, by name, so the layout is the simulator's to choose,
	// and it is a cache layout. The 432-byte struct is 64-byte aligned
	// (the BPF bridge's TaskAllocator; the heap's size class): line 2
	// holds scx.slice and dsq_vtime, then utime, nvcsw and se's first
	// three fields, so that accounting a running task (update_curr_scx())
	// and a switch write one line instead of three.
	Utime             uint64      `btf:"utime"`                       // ns of CPU time (all of it user time here)
	Nvcsw             uint64      `btf:"nvcsw" ctype:"unsigned long"` // voluntary context switches
	Se                SchedEntity `btf:"se"`
	Nivcsw            uint64      `btf:"nivcsw" ctype:"unsigned long"` // involuntary ones
	Stime             uint64      `btf:"stime"`
	Comm              [16]byte    `btf:"comm" ctype:"char"`
	CpusMask          CPUMask     `btf:"cpus_mask"`
	MigrationDisabled uint16      `btf:"migration_disabled" ctype:"unsigned short"`
	_                 [6]uint8
	RealParent        uint64 `btf:"real_parent" ctype:"struct task_struct *"`
	GroupLeader       uint64 `btf:"group_leader" ctype:"struct task_struct *"`
	Mm                uint64 `btf:"mm" ctype:"struct mm_struct *"`         // NULL for kernel threads
	Cgroups           uint64 `btf:"cgroups" ctype:"struct css_set *"`      // css_set.dfl_cgrp: the task's cgroup
	Mempolicy         uint64 `btf:"mempolicy" ctype:"struct mempolicy *"`  // NULL: no NUMA memory policy (scx_rusty reads it)
	RealCred          uint64 `btf:"real_cred" ctype:"const struct cred *"` // NULL: no credentials modelled (scx_layered's uid/gid rules read it)
	ThreadPid         uint64 `btf:"thread_pid" ctype:"struct pid *"`       // NULL: no pid namespaces modelled (scx's namespace.bpf.h reads it)
	Signal            uint64 `btf:"signal" ctype:"struct signal_struct *"` // NULL, likewise (signal->pids[])
}

// SchedAvg is struct sched_avg (PELT signals; schedsim keeps util_avg at
// 0: it has no PELT).
type SchedAvg struct {
	LastUpdateTime uint64 `btf:"last_update_time"`
	LoadSum        uint64 `btf:"load_sum"`
	RunnableSum    uint64 `btf:"runnable_sum"`
	UtilSum        uint32 `btf:"util_sum"`
	PeriodContrib  uint32 `btf:"period_contrib"`
	LoadAvg        uint64 `btf:"load_avg" ctype:"unsigned long"`
	RunnableAvg    uint64 `btf:"runnable_avg" ctype:"unsigned long"`
	UtilAvg        uint64 `btf:"util_avg" ctype:"unsigned long"`
}

// SchedEntity is struct sched_entity (p->se), the fair class's entity: a
// sched_ext task's CPU time is accounted there too (update_curr_scx()).
type SchedEntity struct {
	ExecStart          uint64   `btf:"exec_start"`
	SumExecRuntime     uint64   `btf:"sum_exec_runtime"`
	PrevSumExecRuntime uint64   `btf:"prev_sum_exec_runtime"`
	Vruntime           uint64   `btf:"vruntime"`
	NrMigrations       uint64   `btf:"nr_migrations"`
	Avg                SchedAvg `btf:"avg"`
}

// Task flags (p->flags), include/linux/sched.h.
const (
	PFExiting uint32 = 0x00000004
	PFKthread uint32 = 0x00200000
)

// SchedExt is the kernel's SCHED_EXT policy number (p->policy).
const SchedExt = 7

// Addr is the address of the object (for pointer fields pointing into it).
func addrOf[T any](p *T) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

// TaskAllocator places TaskStructs. The default allocates them on the Go
// heap; a BPF policy places them in its VM's linear memory so that the
// program can dereference task pointers.
type TaskAllocator interface {
	AllocTask() (*TaskStruct, error)
	FreeTask(*TaskStruct)
}

type heapTaskAllocator struct{}

func (heapTaskAllocator) AllocTask() (*TaskStruct, error) { return new(TaskStruct), nil }
func (heapTaskAllocator) FreeTask(*TaskStruct)            {}
