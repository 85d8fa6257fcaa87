package policies

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// The user space of scx_rustland (sched-ext/scx scheds/rust/scx_rustland
// main.rs over rust/scx_rustland_core's BpfScheduler, bpf.rs; scx
// 7a58a3a1a): a scheduler task of the machine (pid 1, the BPF side's
// usersched_pid) whose main loop, Scheduler::schedule(), is
//
//  1. drain_queued_tasks(): consume every record of the `queued` ring
//     buffer (struct queued_task_ctx; nr_queued is decremented per record
//     and set to 0 when the ring is empty), give each a deadline
//     (update_enqueued(): vtime at least vruntime_now - slice_ns, or
//     vruntime_now for a new task; plus the last run's length scaled by
//     100/weight, which also advances vruntime_now; the deadline adds
//     min(exec_runtime, 100 * slice_ns)) and keep it in a set ordered by
//     (deadline, enqueue timestamp, pid);
//  2. dispatch_task(): take the first task, and write a struct
//     dispatched_task_ctx into the `dispatched` user ring buffer: its pid,
//     enq_cnt and flags, slice_ns_min * weight / 100, vtime = the deadline
//     and the CPU the rs_select_cpu syscall program picks (BPF_PROG_RUN
//     with struct task_cpu_arg; RL_CPU_ANY if none), or its previous CPU
//     with --percpu-local; a full ring puts it back;
//  3. notify_complete(): nr_scheduled = tasks still held, sched_yield().
//
// Step 3's yield leaves it runnable with no slice: the BPF side's
// ops.dispatch drains `dispatched` and runs it again while it has work
// (usersched_has_pending_tasks()), as on a kernel. Each pass costs Cost of
// CPU time. The enqueue timestamp (SystemTime::now() in Rust) is simulated
// time, one nanosecond later for each record of a pass: equal deadlines
// keep arrival order, deterministically.
type rustlandUser struct {
	queued     bpfvm.RingbufConsumer
	dispatched bpfvm.UserRingbuf
	// selectCPU runs rs_select_cpu on the CPU the task runs on (nil with
	// percpu_local); get and set read and write the BPF side's u64
	// globals (nr_queued, nr_scheduled).
	selectCPU func(cpu int, q rlQueued) (int32, error)
	get       func(name string) (uint64, error)
	set       func(name string, v uint64) error
	fault     func(msg string)
	cost      uint64
	sliceNs   uint64 // -s (slice_us), 20 ms
	sliceMin  uint64 // -S (slice_us_min), 1 ms
	vruntime  uint64 // vruntime_now
	lastTS    uint64 // the last enqueue timestamp
	tasks     []rlTask
	ran       bool
	// Passes, Queued and Dispatched count the loop's passes, the tasks
	// it consumed and the tasks it dispatched.
	Passes, Queued, Dispatched uint64
}

// rlQueued is struct queued_task_ctx (scx_rustland_core intf.h).
type rlQueued struct {
	pid, cpu                              int32
	nrCPUsAllowed, flags, startTS, stopTS uint64
	execRuntime, weight, vtime, enqCnt    uint64
}

const (
	rlQueuedSize     = 88 // sizeof(struct queued_task_ctx)
	rlDispatchedSize = 40 // sizeof(struct dispatched_task_ctx)
	rlCPUAny         = 1 << 20
)

func decodeRLQueued(b []byte) (rlQueued, error) {
	if len(b) < rlQueuedSize {
		return rlQueued{}, fmt.Errorf("queued record of %d bytes, want %d (struct queued_task_ctx)", len(b), rlQueuedSize)
	}
	u := func(o int) uint64 { return binary.LittleEndian.Uint64(b[o:]) }
	return rlQueued{
		pid: int32(binary.LittleEndian.Uint32(b)), cpu: int32(binary.LittleEndian.Uint32(b[4:])),
		nrCPUsAllowed: u(8), flags: u(16), startTS: u(24), stopTS: u(32),
		execRuntime: u(40), weight: u(48), vtime: u(56), enqCnt: u(64),
	}, nil
}

// rlTask is main.rs's Task: the queued task, its deadline and enqueue time.
type rlTask struct {
	q         rlQueued
	deadline  uint64
	timestamp uint64
}

func (a *rlTask) cmp(b *rlTask) int {
	switch {
	case a.deadline != b.deadline:
		return cmpU64(a.deadline, b.deadline)
	case a.timestamp != b.timestamp:
		return cmpU64(a.timestamp, b.timestamp)
	}
	return cmpU64(uint64(int64(a.q.pid)), uint64(int64(b.q.pid)))
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (b *BPFPolicy) rustlandSpawner(r *Recipe) (func(), error) {
	s := r.UserTask
	from, to := s.From, s.To
	if from == "" {
		from = "queued"
	}
	if to == "" {
		to = "dispatched"
	}
	q, ok1 := b.inst.Map(from).(bpfvm.RingbufConsumer)
	d, ok2 := b.inst.Map(to).(bpfvm.UserRingbuf)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("recipe %s: user_task: model rustland needs a ring buffer %s and a user ring buffer %s", r.file, from, to)
	}
	u := newRustlandUser(q, d)
	u.get, u.set = b.globalU64, (&userTask{b: b}).setGlobal
	u.fault = func(msg string) { b.k.Fault("user space error", msg) }
	for _, o := range []struct {
		s   string
		dst *uint64
		min uint64
	}{{s.Cost, &u.cost, 1}, {s.Slice, &u.sliceNs, 0}, {s.SliceMin, &u.sliceMin, 0}} {
		if o.s == "" {
			continue
		}
		v, err := sim.ParseDuration(o.s)
		if err != nil {
			return nil, fmt.Errorf("recipe %s: user_task: %v", r.file, err)
		}
		*o.dst = max(v, o.min)
	}
	if !s.PercpuLocal {
		prog := b.inst.Program("rs_select_cpu")
		if prog == nil {
			return nil, fmt.Errorf("recipe %s: user_task: model rustland: no rs_select_cpu program (or set percpu_local)", r.file)
		}
		u.selectCPU = func(cpu int, q rlQueued) (int32, error) { return b.rsSelectCPU(prog, cpu, q) }
	}
	q.SetConsumed()
	return b.userTaskSpawn(r, "scx_rustland", u.next), nil
}

// next: a pass of Scheduler::schedule() on each run, then sched_yield().
func (u *rustlandUser) next(m *sim.Machine, t *sim.Task) sim.Action {
	if u.ran {
		u.ran = false
		return sim.Yield()
	}
	u.ran = true
	if err := u.schedule(m.Now(), t.CPU()); err != nil {
		u.fault("scx_rustland: " + err.Error())
	}
	return sim.Run(u.cost)
}

// schedule is Scheduler::schedule().
func (u *rustlandUser) schedule(now uint64, cpu int) error {
	u.Passes++
	if err := u.drainQueued(now); err != nil {
		return err
	}
	if err := u.dispatchTask(cpu); err != nil {
		return err
	}
	return u.set("nr_scheduled", uint64(len(u.tasks)))
}

func (u *rustlandUser) drainQueued(now uint64) error {
	for {
		rec, ok := u.queued.Consume()
		if !ok {
			return u.set("nr_queued", 0)
		}
		q, err := decodeRLQueued(rec)
		if err != nil {
			return err
		}
		u.Queued++
		n, err := u.get("nr_queued")
		if err != nil {
			return err
		}
		if n > 0 {
			n--
		}
		if err := u.set("nr_queued", n); err != nil {
			return err
		}
		// Self::now(): a nanosecond clock read per task, so later
		// records get later timestamps
		u.lastTS = max(now, u.lastTS+1)
		t := rlTask{q: q, timestamp: u.lastTS}
		t.deadline = u.updateEnqueued(&t.q)
		u.insert(t)
	}
}

// updateEnqueued is Scheduler::update_enqueued(): the task's deadline.
func (u *rustlandUser) updateEnqueued(q *rlQueued) uint64 {
	if q.vtime == 0 {
		q.vtime = u.vruntime
	} else {
		q.vtime = max(q.vtime, satSub(u.vruntime, u.sliceNs))
	}
	w := max(q.weight, 1) // (weight is 1..10000)
	vslice := satSub(q.stopTS, q.startTS) * 100 / w
	q.vtime += vslice
	u.vruntime += vslice
	return q.vtime + min(q.execRuntime, satMul(u.sliceNs, 100))
}

func satSub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

func satMul(a, b uint64) uint64 {
	if b != 0 && a > ^uint64(0)/b {
		return ^uint64(0)
	}
	return a * b
}

// insert is BTreeSet::insert: a task equal to one held (same deadline,
// timestamp and pid) is not added.
func (u *rustlandUser) insert(t rlTask) {
	i, found := slices.BinarySearchFunc(u.tasks, t, func(a, b rlTask) int { return a.cmp(&b) })
	if found {
		return
	}
	u.tasks = slices.Insert(u.tasks, i, t)
}

// dispatchTask is Scheduler::dispatch_task().
func (u *rustlandUser) dispatchTask(cpu int) error {
	if len(u.tasks) == 0 {
		return nil
	}
	t := u.tasks[0]
	u.tasks = u.tasks[1:]
	target := t.q.cpu
	if u.selectCPU != nil {
		c, err := u.selectCPU(cpu, t.q)
		if err != nil {
			return err
		}
		target = c
		if target < 0 {
			target = rlCPUAny
		}
	}
	rec := make([]byte, rlDispatchedSize)
	binary.LittleEndian.PutUint32(rec, uint32(t.q.pid))
	binary.LittleEndian.PutUint32(rec[4:], uint32(target))
	binary.LittleEndian.PutUint64(rec[8:], t.q.flags)
	binary.LittleEndian.PutUint64(rec[16:], u.sliceMin*t.q.weight/100)
	binary.LittleEndian.PutUint64(rec[24:], t.deadline)
	binary.LittleEndian.PutUint64(rec[32:], t.q.enqCnt)
	if err := u.dispatched.Write(rec); err != nil {
		if errors.Is(err, bpfvm.ErrMapFull) {
			u.insert(t) // dispatch failed: back into the set
			return nil
		}
		return err
	}
	u.Dispatched++
	return nil
}

// rsSelectCPU is BpfScheduler::select_cpu(): BPF_PROG_RUN of
// rs_select_cpu with struct task_cpu_arg {pid, cpu, flags}.
func (b *BPFPolicy) rsSelectCPU(prog *bpfvm.Program, cpu int, q rlQueued) (int32, error) {
	arg := make([]byte, 16)
	binary.LittleEndian.PutUint32(arg, uint32(q.pid))
	binary.LittleEndian.PutUint32(arg[4:], uint32(q.cpu))
	binary.LittleEndian.PutUint64(arg[8:], q.flags)
	ret, _, err := b.progRunOn(max(cpu, 0), prog, arg)
	return ret, err
}

// globalU64 reads the u64 global name.
func (b *BPFPolicy) globalU64(name string) (uint64, error) {
	gv, addr, err := b.inst.Var(name)
	if err != nil {
		return 0, err
	}
	if gv.Size != 8 {
		return 0, fmt.Errorf("%s is %d bytes, want 8", name, gv.Size)
	}
	return b.vm.Mem.Load64(addr), nil
}

func newRustlandUser(q bpfvm.RingbufConsumer, d bpfvm.UserRingbuf) *rustlandUser {
	return &rustlandUser{queued: q, dispatched: d, cost: 2000, sliceNs: 20_000_000, sliceMin: 1_000_000}
}
