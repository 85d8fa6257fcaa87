package policies

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/bits"
	"math/rand/v2"
	"unsafe"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/jit"
	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/verifier"
)

// Options configure a BPF policy.
type Options struct {
	// NumCPUs is the machine's CPU count (per-CPU maps, contexts).
	NumCPUs int
	// Params set `const volatile` globals by name ([policy.params]).
	Params map[string]any
	// DataSizes resizes .data.* sections (RESIZE_ARRAY).
	DataSizes map[string]uint32
	// MaxEntries sets declared maps' max_entries (bpf_map__set_max_entries).
	MaxEntries map[string]uint32
	// BootOffset is how long the machine has been up when the run starts
	// (ns): the BPF clocks (bpf_ktime_get_ns, scx_bpf_now, rq clocks, bpf
	// timers) read simulated time plus it. A real kernel's clock is never
	// near 0, and some schedulers assume it (scx_pair). 0 by default.
	BootOffset uint64
	// InsnCostPs is the simulated cost of one BPF instruction in
	// picoseconds, charged to the CPU running the callback together with
	// the helpers' and kfuncs' own costs; 0 makes scheduler code free
	// (as the Go reference policies are by default), which is what a
	// differential comparison of a BPF policy with its Go twin needs.
	InsnCostPs uint64
	// MemSize is the VM's linear memory; 0 for the default.
	MemSize uint64
	// Seed seeds bpf_get_prandom_u32.
	Seed uint64
	// Log receives bpf_printk output, one line per call, prefixed with the
	// simulated time and CPU; nil discards it. Verifier warnings (a
	// potential lock-order cycle) go there too.
	Log io.Writer
	// NoVerify skips the verifier (for debugging a policy the verifier
	// rejects; a fault then ejects the policy at run time).
	NoVerify bool
	// Quantum is the interleaving granularity with sim.Params.Interleave:
	// a callback returns to the event loop after this many instructions
	// (0: only at lock operations).
	Quantum uint64
	// LockTimeout bounds a wait for a lock (ns); 0 means 250 ms.
	LockTimeout uint64
	// PCT, if set, randomises interleavings at lock operations (schedsim
	// explore).
	PCT *PCT
	// Engine runs the programs: "jit", "interp", or "" for DefaultEngine.
	// Both give identical schedules.
	Engine string
	// BudgetInsns cancels a callback that executes more BPF instructions
	// (bpf_loop and other callbacks included) and ejects the policy, with
	// the program and source line where it stopped; 0 means
	// bpfvm.DefaultLimit. BudgetNs does the same for the simulated time a
	// callback takes (instructions at InsnCostPs plus helper and kfunc
	// costs); 0 means none. Both engines cancel at the same instruction.
	BudgetInsns uint64
	BudgetNs    uint64
	// HZ is the machine's tick rate, for CONFIG_HZ; 0 means 1000.
	HZ int
	// Kernel is the machine's kernel version, for LINUX_KERNEL_VERSION
	// (0: the latest).
	Kernel sim.KernelVersion
	// Topology is the machine's shape, for recipes and the kernel
	// variables a policy may read (sd_llc_size...); zero means NumCPUs
	// single-threaded cores sharing one LLC.
	Topology sim.TopologySpec
	// Kconfig overrides .kconfig values (see kconfigDefaults).
	Kconfig map[string]any
	// Ops chooses the struct sched_ext_ops when the object defines
	// several: its variable name or its .name.
	Ops string
	// Recipe is what the scheduler's user space does around loading; nil
	// finds the shipped recipe for the ops name, if any (see Recipe).
	Recipe *Recipe
	// NoRecipe loads the object as it is, without a shipped recipe.
	NoRecipe bool
}

// BPFPolicy is a sched_ext BPF program (a struct_ops map of struct
// sched_ext_ops and its programs) loaded into a bpfvm VM, implementing
// sim.Scheduler: each callback runs its program on the execution context of
// the simulated CPU, with its arguments passed as the kernel passes them to
// struct_ops programs (r1 points to an array of u64 arguments).
type BPFPolicy struct {
	name  string
	obj   *bpfvm.Object
	vm    *bpfvm.VM
	inst  *bpfvm.Instance
	so    *bpfvm.StructOps
	ops   sim.Ops
	progs [64]*bpfvm.Program // by callback bit
	k     *sim.Kernel
	opts  Options

	ctxs    []*bpfvm.Context
	argAddr []uint64  // per-CPU array of 8 u64 arguments
	slots   []cpuSlot // per CPU: what a synchronous callback needs (callArgs)
	// the context that runs every CPU's callbacks at depth 0 in
	// synchronous mode, on the CPU's own stack (callArgs), and its JIT
	// engine if it has one; depth counts the programs in progress that
	// the policy started on the CPUs' contexts from outside any other
	// (callSlow, Exit, timers, progRunOn): while it is 0 and the shared
	// context is idle, so is every CPU's context (callArgs runs a program
	// on a CPU's own context only inside one of those)
	shared    *bpfvm.Context
	sharedJIT *jit.Engine
	// the shared context's argument array (8 u64) in linear memory: one
	// for all CPUs, whose line stays in the cache (a program cannot write
	// its context, nor read past its callback's arguments; nested
	// callbacks, which run while a depth-0 one waits in a kfunc, keep
	// their CPUs' own arrays)
	sharedArgs uint64
	depth      int
	// without the JIT, the shared context's engine by callback: one
	// interpreter per program, whose last-program cache always hits
	// (one for all CPUs would see the callbacks of all in turn)
	sharedEngines [64]bpfvm.Engine
	// goHeld counts the locks in every CPU's held list (cpuLocks.held)
	// together: 0 says all the lists are empty, without reading them
	goHeld int
	code   [64]jit.Site // by callback bit: its program's code, for every CPU's JIT engine
	// the VM's linear memory, whole (it never moves or changes size), for
	// the kfuncs' checks and reads of task structs without a call
	mem     []byte
	memBase uint64
	memPtr  unsafe.Pointer // &mem[0] (callArgs: no bounds checks on its own allocations)
	natCPU0 unsafe.Pointer // &nat.CPUs[0] (callArgs: cpu is checked already)
	// a second context and argument array per CPU, made when first
	// needed, for callbacks nested in a kfunc (classes.go)
	nestedCtxs []*bpfvm.Context
	nestedArgs []uint64
	dumpAddr   uint64 // ei->dump for ops.exit (classes.go)
	// per-CPU scratch structs passed by pointer (init_task/exit_task args)
	scratch      []uint64
	idleMaskAddr uint64
	idleSMTAddr  uint64
	rand         *rand.Rand
	log          io.Writer

	// RecipeNote says which loader recipe was applied, or why a shipped
	// one found by the ops name was not.
	RecipeNote string
	// ProgramNote names the object's programs that are not loaded
	// (SEC("?...") with autoload off) or skipped (tracing programs), if
	// any (progload.go).
	ProgramNote string
	// Warnings are the verifier's warnings (potential lock-order cycles).
	Warnings []verifier.Warning
	// Verification is the verifier's report from loading (nil with
	// Options.NoVerify): per program, instructions processed, states, time.
	Verification *VerifyReport
	// Deadlocks and Timeouts are the lock reports of the run, in order.
	Deadlocks []string
	Timeouts  []string

	recipe   *Recipe
	unloaded map[string]string // programs not loaded or skipped, and why
	topo     *sim.Topology
	percpu   []percpuVar
	ks       kernelState
	cgs      cgroupState

	locks       map[uint64]*lockState
	nat         *bpfvm.NativeState // shared with the JIT (locks.go)
	goLockOps   uint64             // lock operations served by the Go helpers (tests)
	natEngine   bool               // the contexts' engine reads nat (the JIT)
	progNat     [64]bool           // progs[i] calls a helper that reads nat (readsNativeState)
	sites       map[siteKey]string // formatted source lines (siteOf)
	cpuLock     []cpuLocks
	yieldReason []uint8
	pendingCost []uint64
	aborted     bool
	pct         *pctState

	// Stats
	Calls [64]uint64 // callback invocations, by callback bit
	Insns [64]uint64 // instructions executed, by callback bit
	fault error
	// eevdf's task table when the policy stopped scheduling, before the
	// disable path's ops.exit_task emptied it (SnapshotEnd)
	endTasks    []EEVDFTask
	endTasksOK  bool
	snapshotted bool
	keepMaps    bool
	endMaps     []MapDump
	endMapsErr  error
}

// VM returns the policy's VM (maps, memory) for inspection.
func (b *BPFPolicy) VM() *bpfvm.VM { return b.vm }

// Instance returns the loaded object.
func (b *BPFPolicy) Instance() *bpfvm.Instance { return b.inst }

// Fault returns the run-time fault that ejected the policy, if any.
func (b *BPFPolicy) Fault() error { return b.fault }

var callbackMembers = []struct {
	cb     sim.Callback
	member string
}{
	{sim.CbSelectCPU, "select_cpu"}, {sim.CbEnqueue, "enqueue"}, {sim.CbDequeue, "dequeue"},
	{sim.CbDispatch, "dispatch"}, {sim.CbTick, "tick"}, {sim.CbRunnable, "runnable"},
	{sim.CbRunning, "running"}, {sim.CbStopping, "stopping"}, {sim.CbQuiescent, "quiescent"},
	{sim.CbYield, "yield"}, {sim.CbSetWeight, "set_weight"}, {sim.CbSetCPUMask, "set_cpumask"},
	{sim.CbUpdateIdle, "update_idle"}, {sim.CbInitTask, "init_task"}, {sim.CbExitTask, "exit_task"},
	{sim.CbEnable, "enable"}, {sim.CbDisable, "disable"}, {sim.CbCPUOnline, "cpu_online"},
	{sim.CbCPUOffline, "cpu_offline"}, {sim.CbInit, "init"}, {sim.CbExit, "exit"},
	{sim.CbCgroupInit, "cgroup_init"}, {sim.CbCgroupExit, "cgroup_exit"},
	{sim.CbCgroupPrepMove, "cgroup_prep_move"}, {sim.CbCgroupMove, "cgroup_move"},
	{sim.CbCgroupCancelMove, "cgroup_cancel_move"}, {sim.CbCgroupSetWeight, "cgroup_set_weight"},
	{sim.CbCgroupSetBandwidth, "cgroup_set_bandwidth"},
	{sim.CbCPUAcquire, "cpu_acquire"}, {sim.CbCPURelease, "cpu_release"},
	{sim.CbDump, "dump"}, {sim.CbDumpCPU, "dump_cpu"}, {sim.CbDumpTask, "dump_task"},
}

func cbIndex(cb sim.Callback) int {
	if cb == 0 || cb&(cb-1) != 0 {
		return 63
	}
	return bits.TrailingZeros64(uint64(cb))
}

// LoadObject loads a parsed object as a policy.
func LoadObject(obj *bpfvm.Object, opts Options) (*BPFPolicy, error) {
	so, err := chooseOps(obj, opts.Ops)
	if err != nil {
		return nil, err
	}
	kbtf, err := KernelBTF()
	if err != nil {
		return nil, err
	}
	if opts.NumCPUs <= 0 {
		opts.NumCPUs = 1
	}
	if opts.Topology == (sim.TopologySpec{}) {
		opts.Topology = sim.TopologySpec{Nodes: 1, LLCsPerNode: 1, CoresPerLLC: opts.NumCPUs, ThreadsPerCore: 1}
	}
	recipe, found := opts.Recipe, false
	if recipe == nil && !opts.NoRecipe {
		if n, err := so.String("name"); err == nil && n != "" {
			if recipe, err = FindRecipe(n); err != nil {
				return nil, err
			}
			found = recipe != nil
		}
	}
	objFlags, _ := so.Uint("flags")
	flags, setFlags := objFlags, false
	var recipeNote string
	if recipe != nil {
		o := opts
		o.Params = maps.Clone(opts.Params)
		o.Kconfig = maps.Clone(opts.Kconfig)
		o.DataSizes = maps.Clone(opts.DataSizes)
		o.MaxEntries = maps.Clone(opts.MaxEntries)
		flags, setFlags, err = recipe.apply(obj, &o, objFlags)
		switch {
		case err == nil:
			opts = o
			recipeNote = "loader recipe " + recipe.file
			if n := recipe.AbsentNote(); n != "" {
				recipeNote += "; " + n
			}
		case found:
			// a shipped recipe for another object of the same ops name
			// (our own test policies are named like upstream's)
			recipeNote = fmt.Sprintf("the shipped recipe %s does not fit this object (%v); loading it without a recipe", recipe.file, err)
			recipe, flags, setFlags = nil, objFlags, false
		default:
			return nil, err
		}
	}
	kconfig := kconfigDefaults(opts.HZ, opts.Kernel)
	for k, v := range opts.Kconfig {
		kconfig[k] = v
	}
	b := &BPFPolicy{obj: obj, so: so, opts: opts, log: opts.Log, recipe: recipe, RecipeNote: recipeNote,
		rand: rand.New(rand.NewPCG(opts.Seed, 0xb9f))}
	reg := bpfvm.NewRegistry()
	bpfvm.RegisterBase(reg)
	bpfvm.RegisterMapHelpers(reg)
	bpfvm.RegisterGraph(reg)
	bpfvm.RegisterArena(reg)
	b.registerKernel(reg)
	b.registerLocks(reg)
	b.registerPerCPU(reg)
	vm, err := bpfvm.NewVM(bpfvm.VMConfig{MemSize: opts.MemSize, NumCPUs: opts.NumCPUs, Registry: reg,
		InsnCost: opts.InsnCostPs})
	if err != nil {
		return nil, err
	}
	b.vm = vm
	b.mem, b.memBase = vm.Mem.MustBytes(vm.Mem.Base(), vm.Mem.Size()), vm.Mem.Base()
	b.memPtr = unsafe.Pointer(&b.mem[0])
	ksyms, err := b.kernelVars(vm, opts.Topology)
	if err != nil {
		vm.Close()
		return nil, err
	}
	inst, err := vm.Load(obj, bpfvm.LoadOptions{KernelBTF: kbtf, Params: opts.Params, DataSizes: opts.DataSizes,
		MaxEntries: opts.MaxEntries,
		Kconfig:    kconfig, Ksyms: ksyms})
	if err != nil {
		vm.Close()
		return nil, err
	}
	b.inst = inst
	b.classifyPrograms()
	name, err := so.String("name")
	if err != nil || name == "" {
		name = so.Name
	}
	b.name = name
	b.ops.Name = name
	if v, err := so.Uint("flags"); err == nil {
		b.ops.Flags = v
	}
	if setFlags {
		b.ops.Flags = flags // user space set ops.flags before load
	}
	if v, err := so.Uint("timeout_ms"); err == nil {
		b.ops.TimeoutMs = uint32(v)
	}
	if v, err := so.Uint("dispatch_max_batch"); err == nil {
		b.ops.DispatchMaxBatch = uint32(v)
	}
	if v, err := so.Uint("exit_dump_len"); err == nil {
		b.ops.ExitDumpLen = uint32(v)
	}
	for _, cm := range callbackMembers {
		if p := inst.StructOpsProgram(so, cm.member); p != nil {
			b.progs[cbIndex(cm.cb)] = p
			b.progNat[cbIndex(cm.cb)] = readsNativeState(p, vm.Registry)
			b.ops.Implements |= cm.cb
		}
	}
	for _, f := range so.Funcs {
		known := false
		for _, cm := range callbackMembers {
			known = known || cm.member == f.Member
		}
		if !known {
			b.logf(nil, "warning: %s: sched_ext_ops.%s is set but schedsim never calls it", obj.Name, f.Member)
		}
	}
	engine, note, err := NewEngine(opts.Engine)
	if err != nil {
		vm.Close()
		return nil, err
	}
	if note != "" {
		b.logf(nil, "%s", note)
	}
	// only generated code reads NativeState.On: the interpreter's
	// callbacks need not set it
	b.natEngine = engine.Name() == "jit"
	// every CPU's context, and above the top of its stack its argument
	// array and its scratch area (at the offsets from the stack that
	// separate allocations had), at a stride that puts consecutive
	// CPUs' hot lines (the entry frame's top, the arguments) in
	// different cache sets (bpfvm.NewContexts)
	ctxs, areas, err := vm.NewContexts(opts.NumCPUs, cpuAreaSize)
	if err != nil {
		vm.Close()
		return nil, err
	}
	b.ctxs = ctxs
	for _, c := range ctxs {
		c.Engine, _, _ = NewEngine(opts.Engine)
		setBudget(c, opts)
	}
	for _, a := range areas {
		b.argAddr = append(b.argAddr, a)
		b.scratch = append(b.scratch, a+cpuScratchOff)
	}
	if !opts.NoVerify {
		rep, err := b.Verify(nil)
		if err != nil {
			vm.Close()
			return nil, fmt.Errorf("%s: verifier rejected the policy: %w", obj.Name, err)
		}
		b.Warnings = rep.Warnings
		b.Verification = rep
		for _, w := range rep.Warnings {
			b.logf(nil, "warning: %s", w)
		}
	}
	b.locks = make(map[uint64]*lockState)
	b.cpuLock = make([]cpuLocks, opts.NumCPUs)
	b.nat = bpfvm.NewNativeState(opts.NumCPUs)
	b.slots = make([]cpuSlot, len(b.ctxs))
	for cpu, c := range b.ctxs {
		lo, _ := c.Stack()
		b.slots[cpu] = cpuSlot{addr: b.argAddr[cpu], stack: lo}
	}
	b.shared = vm.NewSharedContext()
	if b.sharedArgs, err = vm.Mem.Alloc(8*8, 64); err != nil {
		vm.Close()
		return nil, err
	}
	b.shared.Engine, _, _ = NewEngine(opts.Engine)
	setBudget(b.shared, opts)
	b.sharedJIT, _ = b.shared.Engine.(*jit.Engine)
	for k := range b.sharedEngines {
		b.sharedEngines[k] = b.shared.Engine
		if _, interp := b.shared.Engine.(*bpfvm.Interpreter); interp && b.progs[k] != nil {
			b.sharedEngines[k] = bpfvm.NewInterpreter()
		}
	}
	vm.Native = b.nat
	b.natCPU0 = unsafe.Pointer(&b.nat.CPUs[0])
	b.yieldReason = make([]uint8, opts.NumCPUs)
	b.pendingCost = make([]uint64, opts.NumCPUs)
	if opts.PCT != nil {
		b.pct = newPCT(*opts.PCT, opts.NumCPUs)
	}
	if b.idleMaskAddr, err = vm.Mem.Alloc(cpumaskSize, 8); err != nil {
		return nil, err
	}
	if b.idleSMTAddr, err = vm.Mem.Alloc(cpumaskSize, 8); err != nil {
		return nil, err
	}
	if err := b.initKernelState(); err != nil {
		return nil, err
	}
	return b, nil
}

// ResultExtra adds the policy's lock statistics, deadlock and timeout
// reports and instructions per callback to the run's result.
func (b *BPFPolicy) ResultExtra() map[string]any {
	x := map[string]any{}
	if locks := b.LockReport(); len(locks) > 0 {
		x["locks"] = locks
		spin := make([]uint64, len(b.cpuLock))
		for i := range b.cpuLock {
			spin[i] = b.cpuLock[i].spin
		}
		x["spin_ns_per_cpu"] = spin
	}
	if len(b.Deadlocks) > 0 {
		x["deadlocks"] = b.Deadlocks
	}
	if len(b.Timeouts) > 0 {
		x["lock_timeouts"] = b.Timeouts
	}
	type cbStat struct {
		Callback string  `json:"callback"`
		Calls    uint64  `json:"calls"`
		Insns    uint64  `json:"insns"`
		PerCall  float64 `json:"insns_per_call"`
	}
	var cbs []cbStat
	for _, cm := range callbackMembers {
		i := cbIndex(cm.cb)
		if b.Calls[i] > 0 {
			cbs = append(cbs, cbStat{cm.member, b.Calls[i], b.Insns[i], float64(b.Insns[i]*10/b.Calls[i]) / 10})
		}
	}
	x["callbacks"] = cbs
	ts, ok := b.endTasks, b.endTasksOK
	if !b.snapshotted {
		ts, ok = b.eevdfTasks()
	}
	if ok {
		x["eevdf_tasks"] = ts
	}
	return x
}

// Close releases the VM.
func (b *BPFPolicy) Close() error { return b.vm.Close() }

// Ops implements sim.Scheduler.
func (b *BPFPolicy) Ops() sim.Ops { return b.ops }

// AllocTask places task structs in the VM's linear memory, so that the
// program dereferences the very bytes the simulator uses.
func (b *BPFPolicy) AllocTask() (*sim.TaskStruct, error) {
	var ts sim.TaskStruct
	addr, err := b.vm.Mem.Alloc(uint64(unsafe.Sizeof(ts)), 64)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", b.name, err)
	}
	return bpfvm.Ptr[sim.TaskStruct](b.vm.Mem, addr), nil
}

// FreeTask is a no-op: task structs stay allocated so that a stale task
// pointer kept by a program still points to a (dead) task_struct, as RCU
// would keep it in the kernel for a while.
func (b *BPFPolicy) FreeTask(*sim.TaskStruct) {}

func (b *BPFPolicy) taskAddr(k *sim.TaskStruct) uint64 { return uint64(uintptr(unsafe.Pointer(k))) }

// task returns the task whose task_struct is at addr, or the error of
// the kfunc what.
func (b *BPFPolicy) task(c *bpfvm.Context, addr uint64, what string) (*sim.Task, error) {
	if t := b.taskAt(addr); t != nil {
		return t, nil
	}
	return nil, taskErr(addr, what)
}

// taskAt is task without the error (nil): it inlines into the kfuncs.
// Memory.Contains(addr, size), then the pid read from b.mem without a
// bounds check (the address was checked).
func (b *BPFPolicy) taskAt(addr uint64) *sim.Task {
	const size, pidOff = uint64(unsafe.Sizeof(sim.TaskStruct{})), unsafe.Offsetof(sim.TaskStruct{}.Pid)
	// addr == 0 is outside the memory too (its base is not near 2^64)
	if off, n := addr-b.memBase, uint64(len(b.mem)); off < n && n-off >= size {
		pid := *(*int32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.mem)), uintptr(off)+pidOff))
		// Kernel.Task(pid), inline (the machine's tasks are never nil)
		if i, tasks := uint(int(pid)-1), b.k.Machine().Tasks(); i < uint(len(tasks)) && uint64(uintptr(unsafe.Pointer(tasks[i].K))) == addr {
			return tasks[i]
		}
	}
	return nil
}

// taskErr is task's error for addr, out of line.
//
//go:noinline
func taskErr(addr uint64, what string) error {
	if addr == 0 {
		return fmt.Errorf("%s: NULL task_struct pointer", what)
	}
	return fmt.Errorf("%s: %#x is not a task_struct", what, addr)
}

func (b *BPFPolicy) logf(c *bpfvm.Context, format string, args ...any) {
	if b.k != nil && b.k.Wants(sim.PolicyPrintk) {
		b.k.Emit(sim.PolicyEvent{Kind: sim.PolicyPrintk, Text: fmt.Sprintf(format, args...)})
	}
	if b.log == nil {
		return
	}
	var buf bytes.Buffer
	if b.k != nil {
		cpu := -1
		if c != nil {
			cpu = c.CPU
		}
		fmt.Fprintf(&buf, "[%12.6f] cpu%-3d %s: ", float64(b.k.Now())/1e9, cpu, b.name)
	}
	fmt.Fprintf(&buf, format, args...)
	buf.WriteByte('\n')
	b.log.Write(buf.Bytes())
}

const (
	yieldPoint   uint8 = iota + 1 // an interleaving point before a lock operation
	yieldBlocked                  // waiting for a contended lock
)

// A CPU's own area of linear memory above its stack (load,
// bpfvm.NewContexts): the argument array (8 u64) at 0, the scratch
// structs (256 bytes) at cpuScratchOff.
const (
	cpuScratchOff = 256
	cpuAreaSize   = cpuScratchOff + 256
)

// cpuSlot is what a CPU's synchronous callback reads and writes of the
// CPU's own, in one place (the rest is in the shared context): 32 bytes,
// two to a cache line. It holds no pointers, so that the array is not
// preceded by the allocator's header (which would put every slot of a
// 64-byte kind across two lines), and the GC need not scan it.
type cpuSlot struct {
	addr  uint64       // the CPU's argument array (8 u64) in linear memory
	rem   uint64       // picoseconds not yet charged (charge)
	stack uint64       // the low end of the CPU's stack (its context's), which the shared context borrows
	cb    sim.Callback // the callback in progress or last run on the CPU (lock reports)
}

// call runs the program of cb on the current CPU's context with args.
// Callbacks of up to three arguments go to callArgs without a slice.
func (b *BPFPolicy) call(cb sim.Callback, args ...uint64) uint64 {
	var a [3]uint64
	if n := len(args); n <= 3 {
		copy(a[:], args)
		return b.callArgs(cb, cbIndex(cb), n, a[0], a[1], a[2])
	}
	if b.stopped() {
		return 0
	}
	cpu := b.k.CPU()
	if cpu < 0 || cpu >= len(b.ctxs) {
		cpu = 0
	}
	return b.callSlow(cb, cpu, args)
}

// call1 and call2 are call for the callbacks of one or two arguments;
// their callers pass a constant cb (a single bit: its index is its
// trailing zeros, folded, which keeps them inlined)
func (b *BPFPolicy) call1(cb sim.Callback, a0 uint64) uint64 {
	return b.callArgs(cb, bits.TrailingZeros64(uint64(cb)), 1, a0, 0, 0)
}
func (b *BPFPolicy) call2(cb sim.Callback, a0, a1 uint64) uint64 {
	return b.callArgs(cb, bits.TrailingZeros64(uint64(cb)), 2, a0, a1, 0)
}

// stopped reports whether the policy runs no more callbacks: after an
// error or a fault, except for the disable path's ops.disable and
// ops.exit_task (sim/disable.go), which run after an error too but not
// after a BPF fault, and for the debug dump of an error exit.
func (b *BPFPolicy) stopped() bool {
	if b.k.Disabling() {
		return b.fault != nil
	}
	return b.k.Failed() && !b.k.Dumping() || b.aborted
}

// callArgs runs the program of cb, whose index is i (cbIndex(cb): its
// callers' cb is a constant, which folds it), with its first n (at most 3)
// arguments a0, a1, a2 on the current CPU's context.
//
// This is the path of every callback: the usual case (a synchronous
// callback, not nested in a kfunc) is done here, the others by callSlow,
// which does the same for it.
func (b *BPFPolicy) callArgs(cb sim.Callback, i, n int, a0, a1, a2 uint64) uint64 {
	if b.aborted || b.k.Failed() || b.k.Disabling() { // rare: in detail
		if b.stopped() {
			return 0
		}
	}
	cpu := b.k.CPU()
	if uint(cpu) >= uint(len(b.slots)) {
		cpu = 0
	}
	s := &b.slots[cpu]
	var c *bpfvm.Context
	var eng *jit.Engine
	addr := s.addr
	if b.depth == 0 && !b.shared.Active() && !b.k.CanSuspend() {
		// depth 0, synchronous: the shared context runs the callback as
		// cpu's own (idle) context would, on its stack; its state and its
		// engine's stay in the cache, where the context and engine of
		// each CPU in turn would not
		c, eng = b.shared, b.sharedJIT
		c.ActFor(cpu, s.stack)
		addr = b.sharedArgs
	} else {
		// inside another program (a kfunc's nested callback, a timer's)
		c = b.ctxs[cpu]
		if c.Active() || b.k.CanSuspend() || b.sharedOn(cpu) {
			a := [3]uint64{a0, a1, a2}
			return b.callSlow(cb, cpu, a[:n])
		}
		eng, _ = c.Engine.(*jit.Engine)
	}
	// the arguments, at constant offsets in the array (24 of its 64
	// bytes): no bounds checks
	args := (*[24]byte)(unsafe.Add(b.memPtr, addr-b.memBase))
	le := binary.LittleEndian
	switch n {
	case 3:
		le.PutUint64(args[16:24], a2)
		fallthrough
	case 2:
		le.PutUint64(args[8:16], a1)
		fallthrough
	case 1:
		le.PutUint64(args[0:8], a0)
	}
	s.cb = cb
	deadlocks := len(b.Deadlocks)
	i &= 63 // cbIndex is at most 63: no bounds checks below
	i0, c0 := c.Insns, c.Cost
	// the native lock and clock helpers may run (locks.go, nativeOK); a
	// callback around this one (in a kfunc of another CPU's) saw the same
	// clock, so restoring On is enough. A program that calls none leaves
	// On as it is (0, or 1 with the same clock)
	nat := b.nat
	on := nat.On
	if b.progNat[i] {
		nat.On = 0
		if b.natEngine && b.nativeOK() {
			nat.On, nat.Clock, nat.Now = 1, b.ktime(), b.k.Now()
		}
	}
	var r0 uint64
	var err error
	if eng != nil {
		r0, err = eng.Call1(c, b.progs[i], addr, &b.code[i])
	} else {
		if c == b.shared {
			c.Engine = b.sharedEngines[i]
		}
		r0, err = c.Call1(b.progs[i], addr)
	}
	nat.On = on
	insns := c.Insns - i0
	if ps := b.opts.InsnCostPs; ps != 0 { // charge, inline
		ps = insns*ps + s.rem
		s.rem = ps % 1000
		b.k.Charge(ps/1000 + c.Cost - c0)
	}
	b.Calls[i]++
	b.Insns[i] += insns
	b.k.CountInsns(insns)
	// b.holding(cpu), without reading cpu's held list while no CPU's
	// list holds a lock (goHeld): the native list is read by the locking
	// code anyway
	if err == nil && (b.goHeld != 0 || (*bpfvm.LockCPU)(unsafe.Add(b.natCPU0, uintptr(cpu)*unsafe.Sizeof(bpfvm.LockCPU{}))).N != 0) {
		err = b.checkExit(c)
	}
	if err != nil && !b.aborted {
		b.fail(cb, err, len(b.Deadlocks) > deadlocks)
		return 0
	}
	return r0
}

// sharedOn reports whether the shared context runs a program for cpu
// (cpu's own context is idle then, but its stack is in use).
func (b *BPFPolicy) sharedOn(cpu int) bool {
	return b.shared != nil && b.shared.Active() && b.shared.CPU == cpu
}

// ctxOf is the context that runs cpu's callbacks at depth 0: the shared
// one while it acts for cpu, else cpu's own.
func (b *BPFPolicy) ctxOf(cpu int) *bpfvm.Context {
	if b.sharedOn(cpu) {
		return b.shared
	}
	return b.ctxs[cpu]
}

// callSlow is call for a callback nested in a kfunc of another, or
// interleaved with the other CPUs.
func (b *BPFPolicy) callSlow(cb sim.Callback, cpu int, args []uint64) uint64 {
	i := cbIndex(cb)
	prog := b.progs[i]
	c, a := b.ctxOf(cpu), b.argAddr[cpu]
	nested := c.Active()
	if nested {
		// a callback the kernel calls from inside a kfunc of another
		// (ops.enqueue from scx_bpf_reenqueue_local in ops.cpu_release)
		outer := c
		var err error
		if c, a, err = b.nestedContext(cpu); err != nil || c.Active() {
			b.k.Fault("BPF program fault", fmt.Sprintf("%s: callback %s called while cpu %d is still running %s", b.name, cb, cpu, outer.Prog.Name))
			return 0
		}
		saved := b.slots[cpu].cb
		defer func() { b.slots[cpu].cb = saved }()
	}
	if len(args) > 0 {
		buf := b.vm.Mem.MustBytes(a, uint64(8*len(args)))
		for j, v := range args {
			binary.LittleEndian.PutUint64(buf[8*j:], v)
		}
	}
	b.slots[cpu].cb = cb
	deadlocks := len(b.Deadlocks)
	i0 := c.Insns
	var r0 uint64
	var err error
	b.depth++
	if b.k.CanSuspend() && !nested {
		r0, err = b.runInterleaved(c, prog, a)
	} else {
		c0 := c.Cost
		r0, err = c.Call(prog, a)
		b.charge(cpu, c.Insns-i0, c.Cost-c0)
	}
	b.depth--
	b.Calls[i]++
	b.Insns[i] += c.Insns - i0
	b.k.CountInsns(c.Insns - i0)
	if err == nil {
		err = b.checkExit(c)
	}
	if err != nil && !b.aborted {
		b.fail(cb, err, len(b.Deadlocks) > deadlocks)
		return 0
	}
	return r0
}

// charge accounts the cost of insns instructions plus helper costs.
func (b *BPFPolicy) charge(cpu int, insns, helperCost uint64) {
	if b.opts.InsnCostPs == 0 { // cost model off
		return
	}
	s := &b.slots[cpu]
	ps := insns*b.opts.InsnCostPs + s.rem
	s.rem = ps % 1000
	b.k.Charge(ps/1000 + helperCost)
}

// segmentCost is the simulated time of instructions and helper costs.
func (b *BPFPolicy) segmentCost(cpu int, insns, helperCost uint64) uint64 {
	if b.opts.InsnCostPs == 0 {
		return 0
	}
	s := &b.slots[cpu]
	ps := insns*b.opts.InsnCostPs + s.rem
	s.rem = ps % 1000
	return ps/1000 + helperCost
}

// runInterleaved runs prog on c in segments: after each quantum and at
// each lock operation the callback yields to the event loop for the
// segment's simulated time; a contended lock blocks it until hand-off.
func (b *BPFPolicy) runInterleaved(c *bpfvm.Context, prog *bpfvm.Program, a uint64) (uint64, error) {
	cpu := c.CPU
	if err := c.Start(prog, a); err != nil {
		return 0, err
	}
	for {
		i0, c0 := c.Insns, c.Cost
		st, err := c.Run(b.opts.Quantum)
		cost := b.pendingCost[cpu] + b.segmentCost(cpu, c.Insns-i0, c.Cost-c0)
		b.pendingCost[cpu] = 0
		switch st {
		case bpfvm.StatusExited:
			if cost > 0 {
				b.k.Yield(cost)
			}
			return c.Regs[0], nil
		case bpfvm.StatusFault:
			c.Reset()
			return 0, err
		case bpfvm.StatusPreempted:
			b.k.Yield(cost + b.pct.delay(cpu))
		case bpfvm.StatusYielded:
			if b.yieldReason[cpu] == yieldBlocked {
				b.pendingCost[cpu] = cost
				b.k.Block()
			} else {
				b.k.Yield(cost + b.pct.delay(cpu))
			}
		}
		if b.aborted || b.k.Failed() {
			c.Reset()
			b.goHeld -= len(b.cpuLock[cpu].held)
			b.cpuLock[cpu] = cpuLocks{}
			b.slots[cpu].cb = 0
			b.nat.CPUs[cpu] = bpfvm.LockCPU{}
			return 0, nil
		}
	}
}

// fail ejects the policy after a run-time error of callback cb; deadlock
// says the error is a deadlock the lock runtime reported.
func (b *BPFPolicy) fail(cb sim.Callback, err error, deadlock bool) {
	b.fault = err
	var f *bpfvm.Fault
	reason := "BPF program fault"
	switch {
	case deadlock:
		reason = "BPF deadlock"
	case errors.Is(err, bpfvm.ErrBudget):
		reason = "BPF callback budget exceeded"
	case !errors.As(err, &f):
		reason = "BPF runtime error"
	}
	b.k.Fault(reason, fmt.Sprintf("%s: ops.%s: %v", b.name, cb, err))
}

// setBudget sets the limits of a context from the policy's budgets.
func setBudget(c *bpfvm.Context, opts Options) {
	if opts.BudgetInsns != 0 {
		c.Limit = opts.BudgetInsns
	}
	if opts.BudgetNs != 0 {
		c.CostLimit = opts.BudgetNs
		if opts.InsnCostPs != 0 {
			// instructions alone take longer than the budget beyond this
			c.Limit = min(c.Limit, opts.BudgetNs*1000/opts.InsnCostPs)
		}
	}
}

func sx(v int32) uint64 { return uint64(int64(v)) }

// Init implements sim.Scheduler (ops.init, sleepable).
func (b *BPFPolicy) Init(k *sim.Kernel) (err error) {
	b.k = k
	b.vm.Timers = &timerHost{b: b}
	if int(k.NrCPUIDs()) > len(b.ctxs) {
		return fmt.Errorf("policy %s was loaded for %d CPUs; the machine has %d", b.name, len(b.ctxs), k.NrCPUIDs())
	}
	if b.recipe != nil {
		// user space's BPF_PROG_RUN of SEC("syscall") programs, between
		// load and attach
		if err := b.runMapWrites(b.recipe); err != nil {
			return err
		}
		if b.recipe.ArenaLib != nil {
			if err := b.runArenaLib(b.recipe); err != nil {
				return err
			}
		}
		if err := b.runSyscalls(b.recipe, false); err != nil {
			return err
		}
	}
	if b.ops.Has(sim.CbInit) {
		r := int32(b.call(sim.CbInit))
		if b.fault != nil {
			return b.fault
		}
		if r != 0 {
			return &sim.OpsInitError{Ret: r}
		}
	}
	return nil
}

// Exit implements sim.Scheduler: ops.exit with a struct scx_exit_info.
func (b *BPFPolicy) Exit(info *sim.ExitInfo) {
	if b.progs[cbIndex(sim.CbExit)] == nil || b.fault != nil {
		return
	}
	cpu := max(b.k.CPU(), 0)
	s := b.scratch[cpu]
	mem := b.vm.Mem
	clear(mem.MustBytes(s, 256))
	// struct scx_exit_info { enum scx_exit_kind kind; s64 exit_code;
	// const char *reason; const char *msg; ... }; strings after it.
	reason, msg := s+96, s+128
	copy(mem.MustBytes(reason, 31), info.Reason)
	copy(mem.MustBytes(msg, 127), info.Msg)
	dump, err := b.exitDump(info.Dump)
	if err != nil {
		b.logf(nil, "ops.exit: %v", err)
		return
	}
	if err := writeStruct(mem, s, "scx_exit_info", map[string]uint64{
		"kind": uint64(info.Kind), "exit_code": uint64(info.Code), "reason": reason, "msg": msg, "dump": dump,
	}); err != nil {
		b.logf(nil, "ops.exit: %v", err)
		return
	}
	i := cbIndex(sim.CbExit)
	c := b.ctxOf(cpu)
	mem.Store64(b.argAddr[cpu], s)
	i0 := c.Insns
	b.depth++
	_, err = c.Call(b.progs[i], b.argAddr[cpu])
	b.depth--
	b.Calls[i]++
	b.Insns[i] += c.Insns - i0
	if err != nil {
		b.logf(c, "ops.exit faulted: %v", err)
	}
}

// writeStruct stores fields of a kernel struct by member name, at the
// offsets of the simulated kernel's BTF.
func writeStruct(mem *bpfvm.Memory, addr uint64, typ string, fields map[string]uint64) error {
	spec, err := KernelBTF()
	if err != nil {
		return err
	}
	var st *btf.Struct
	if err := spec.TypeByName(typ, &st); err != nil {
		return fmt.Errorf("kernel BTF has no struct %s: %w", typ, err)
	}
	for _, m := range st.Members {
		v, ok := fields[m.Name]
		if !ok {
			continue
		}
		sz, err := btf.Sizeof(m.Type)
		if err != nil {
			return err
		}
		off := addr + uint64(m.Offset.Bytes())
		switch sz {
		case 1:
			mem.MustBytes(off, 1)[0] = byte(v)
		case 4:
			mem.Store32(off, uint32(v))
		case 8:
			mem.Store64(off, v)
		default:
			return fmt.Errorf("struct %s member %s: size %d", typ, m.Name, sz)
		}
	}
	return nil
}

func (b *BPFPolicy) SelectCPU(p *sim.Task, prev int32, wf uint64) int32 {
	return int32(b.callArgs(sim.CbSelectCPU, cbIndex(sim.CbSelectCPU), 3, b.taskAddr(p.K), sx(prev), wf))
}
func (b *BPFPolicy) Enqueue(p *sim.Task, fl uint64) { b.call2(sim.CbEnqueue, b.taskAddr(p.K), fl) }
func (b *BPFPolicy) Dequeue(p *sim.Task, fl uint64) { b.call2(sim.CbDequeue, b.taskAddr(p.K), fl) }
func (b *BPFPolicy) Dispatch(cpu int32, prev *sim.Task) {
	var pa uint64
	if prev != nil {
		pa = b.taskAddr(prev.K)
	}
	b.call2(sim.CbDispatch, sx(cpu), pa)
}
func (b *BPFPolicy) Tick(p *sim.Task)                { b.call1(sim.CbTick, b.taskAddr(p.K)) }
func (b *BPFPolicy) Runnable(p *sim.Task, fl uint64) { b.call2(sim.CbRunnable, b.taskAddr(p.K), fl) }
func (b *BPFPolicy) Running(p *sim.Task) {
	b.call1(sim.CbRunning, b.taskAddr(p.K))
	b.taskCounters(p)
}
func (b *BPFPolicy) Stopping(p *sim.Task, run bool) {
	b.call2(sim.CbStopping, b.taskAddr(p.K), boolU(run))
	b.taskCounters(p)
}
func (b *BPFPolicy) Quiescent(p *sim.Task, fl uint64) { b.call2(sim.CbQuiescent, b.taskAddr(p.K), fl) }
func (b *BPFPolicy) Yield(from, to *sim.Task) bool {
	var ta uint64
	if to != nil {
		ta = b.taskAddr(to.K)
	}
	return b.call2(sim.CbYield, b.taskAddr(from.K), ta)&1 != 0
}
func (b *BPFPolicy) SetWeight(p *sim.Task, w uint32) {
	b.call2(sim.CbSetWeight, b.taskAddr(p.K), uint64(w))
}
func (b *BPFPolicy) SetCPUMask(p *sim.Task, mask *sim.CPUMask) {
	b.call2(sim.CbSetCPUMask, b.taskAddr(p.K), p.K.CpusPtr)
}
func (b *BPFPolicy) UpdateIdle(cpu int32, idle bool) {
	b.call2(sim.CbUpdateIdle, sx(cpu), boolU(idle))
}
func (b *BPFPolicy) InitTask(p *sim.Task, args sim.InitTaskArgs) int32 {
	s := b.scratch[max(b.k.CPU(), 0)]
	cgAddr, err := b.cgroupAddr(args.Cgroup)
	if err != nil {
		b.k.Fault("BPF runtime error", err.Error())
		return 0
	}
	b.initTaskLinks(p.K)
	if p.K.Cgroups, err = b.cssSetAddr(args.Cgroup); err != nil {
		b.k.Fault("BPF runtime error", err.Error())
		return 0
	}
	if err := writeStruct(b.vm.Mem, s, "scx_init_task_args", map[string]uint64{"fork": boolU(args.Fork), "cgroup": cgAddr}); err != nil {
		b.k.Fault("BPF runtime error", err.Error())
		return 0
	}
	return int32(b.call2(sim.CbInitTask, b.taskAddr(p.K), s))
}
func (b *BPFPolicy) ExitTask(p *sim.Task, args sim.ExitTaskArgs) {
	s := b.scratch[max(b.k.CPU(), 0)]
	if err := writeStruct(b.vm.Mem, s, "scx_exit_task_args", map[string]uint64{"cancelled": boolU(args.Cancelled)}); err != nil {
		b.k.Fault("BPF runtime error", err.Error())
		return
	}
	b.call2(sim.CbExitTask, b.taskAddr(p.K), s)
}
func (b *BPFPolicy) Enable(p *sim.Task)   { b.call1(sim.CbEnable, b.taskAddr(p.K)) }
func (b *BPFPolicy) Disable(p *sim.Task)  { b.call1(sim.CbDisable, b.taskAddr(p.K)) }
func (b *BPFPolicy) CPUOnline(cpu int32)  { b.call1(sim.CbCPUOnline, sx(cpu)) }
func (b *BPFPolicy) CPUOffline(cpu int32) { b.call1(sim.CbCPUOffline, sx(cpu)) }

// timerHost runs bpf_timer callbacks on simulated time.
type timerHost struct {
	b      *BPFPolicy
	nextID uint64
	live   map[uint64]bool
}

func (h *timerHost) Now() uint64 { return h.b.ktime() }

func (h *timerHost) Arm(at uint64, cpu int, pinned bool, fire func(c *bpfvm.Context) error) uint64 {
	if h.live == nil {
		h.live = make(map[uint64]bool)
	}
	h.nextID++
	id := h.nextID
	h.live[id] = true
	if cpu < 0 || cpu >= len(h.b.ctxs) {
		cpu = 0
	}
	at -= min(at, h.b.opts.BootOffset) // BPF clock -> simulated time
	h.b.k.Machine().AtOn(at, cpu, func() {
		if !h.live[id] {
			return
		}
		delete(h.live, id)
		if h.b.k.Failed() {
			return
		}
		c := h.b.ctxOf(cpu)
		i0 := c.Insns
		h.b.depth++
		err := fire(c)
		h.b.depth--
		if h.b.opts.InsnCostPs > 0 {
			h.b.k.Charge((c.Insns - i0) * h.b.opts.InsnCostPs / 1000)
		}
		if err != nil {
			h.b.fault = err
			h.b.k.Fault("BPF program fault", fmt.Sprintf("%s: bpf_timer callback: %v", h.b.name, err))
		}
	})
	return id
}

func (h *timerHost) Cancel(id uint64) bool {
	if h.live[id] {
		delete(h.live, id)
		return true
	}
	return false
}
