package policies

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// Kernel helper ids (enum bpf_func_id, include/uapi/linux/bpf.h).
const (
	helperKtimeGetNs        = 5
	helperTracePrintk       = 6
	helperGetPrandomU32     = 7
	helperGetSmpProcessorID = 8
	helperGetCurrentTask    = 35
	helperSpinLock          = 93
	helperSpinUnlock        = 94
	helperJiffies64         = 118
	helperKtimeGetBootNs    = 125
	helperGetCurrentTaskBTF = 158
	helperKtimeGetCoarseNs  = 160
	helperTraceVprintk      = 177
	errnoEINVAL             = 22
	errnoENOENT             = 2
	errnoEBUSY              = 16
	bpfCpumaskSize          = 72 // struct bpf_cpumask: cpumask_t + refcount
	cpumaskSize             = 64
)

// kfuncDef is one sched_ext (or generic kernel) kfunc served by the bridge.
type kfuncDef struct {
	name    string
	aliases []string
	flags   bpfvm.KfuncFlags
	fn      func(b *BPFPolicy) bpfvm.Func
}

// The cpumask kfuncs take trusted or RCU-protected masks (KF_RCU in
// kernel/bpf/cpumask.c's BTF_ID_FLAGS).

// kfuncs lists every kfunc the bridge serves, with the Linux 6.13+ names
// and, as aliases, the names they had before (scx_bpf_dispatch & co).
var kfuncs = []kfuncDef{
	{"scx_bpf_dsq_insert", []string{"scx_bpf_dispatch"}, bpfvm.KfRCU | bpfvm.KfLockSafe, kfDSQInsert},
	{"scx_bpf_dsq_insert_vtime", []string{"scx_bpf_dispatch_vtime"}, bpfvm.KfRCU | bpfvm.KfLockSafe, kfDSQInsertVtime},
	{"scx_bpf_dsq_move_to_local", []string{"scx_bpf_consume"}, 0, kfMoveToLocal},
	{"scx_bpf_dispatch_nr_slots", nil, 0, kfNrSlots},
	{"scx_bpf_dispatch_cancel", nil, 0, kfDispatchCancel},
	{"scx_bpf_create_dsq", nil, bpfvm.KfSleepable, kfCreateDSQ},
	{"scx_bpf_destroy_dsq", nil, 0, kfDestroyDSQ},
	{"scx_bpf_dsq_nr_queued", nil, bpfvm.KfLockSafe, kfNrQueued},
	{"scx_bpf_kick_cpu", nil, bpfvm.KfLockSafe, kfKickCPU},
	{"scx_bpf_select_cpu_dfl", nil, bpfvm.KfRCU, kfSelectCPUDfl},
	{"scx_bpf_pick_idle_cpu", nil, bpfvm.KfRCU, kfPickIdleCPU},
	{"scx_bpf_pick_any_cpu", nil, bpfvm.KfRCU, kfPickAnyCPU},
	{"scx_bpf_test_and_clear_cpu_idle", nil, 0, kfTestClearIdle},
	{"scx_bpf_get_idle_cpumask", nil, bpfvm.KfAcquire, kfIdleMask(false)},
	{"scx_bpf_get_idle_smtmask", nil, bpfvm.KfAcquire, kfIdleMask(true)},
	{"scx_bpf_put_idle_cpumask", nil, bpfvm.KfRelease, kfNop},
	{"scx_bpf_task_running", nil, bpfvm.KfRCU | bpfvm.KfLockSafe, kfTaskRunning},
	{"scx_bpf_task_cpu", nil, bpfvm.KfRCU | bpfvm.KfLockSafe, kfTaskCPU},
	{"scx_bpf_now", nil, bpfvm.KfLockSafe, kfNow},
	{"scx_bpf_nr_cpu_ids", nil, bpfvm.KfLockSafe, kfNrCPUIDs},
	{"scx_bpf_error_bstr", nil, bpfvm.KfLockSafe, kfErrorBstr},
	{"scx_bpf_exit_bstr", nil, bpfvm.KfLockSafe, kfExitBstr},
	{"bpf_task_from_pid", nil, bpfvm.KfAcquire | bpfvm.KfRetNull, kfTaskFromPID},
	{"bpf_task_acquire", nil, bpfvm.KfAcquire | bpfvm.KfRetNull | bpfvm.KfTrustedArgs, kfTaskAcquire},
	{"bpf_task_release", nil, bpfvm.KfRelease, kfNop},
	{"bpf_cpumask_create", nil, bpfvm.KfAcquire | bpfvm.KfRetNull, kfCpumaskCreate},
	{"bpf_cpumask_acquire", nil, bpfvm.KfAcquire | bpfvm.KfTrustedArgs, kfCpumaskAcquire},
	{"bpf_cpumask_release", nil, bpfvm.KfRelease, kfCpumaskRelease},
	{"bpf_cpumask_set_cpu", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskBit(1)},
	{"bpf_cpumask_clear_cpu", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskBit(0)},
	{"bpf_cpumask_test_cpu", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskTest},
	{"bpf_cpumask_first", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskFirst},
	{"bpf_cpumask_weight", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskWeight},
	{"bpf_cpumask_empty", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskEmpty},
	{"bpf_cpumask_setall", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskFill(true)},
	{"bpf_cpumask_clear", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskFill(false)},
	{"bpf_cpumask_copy", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskCopy},
	{"bpf_cpumask_and", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskOp(func(a, b uint64) uint64 { return a & b })},
	{"bpf_cpumask_or", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskOp(func(a, b uint64) uint64 { return a | b })},
	{"bpf_cpumask_xor", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskOp(func(a, b uint64) uint64 { return a ^ b })},
	{"bpf_cpumask_intersects", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskIntersects},
	{"bpf_cpumask_any_distribute", nil, bpfvm.KfTrustedArgs | bpfvm.KfRCU, kfCpumaskAnyDistribute},
}

func (b *BPFPolicy) registerKernel(r *bpfvm.Registry) {
	all := append(kfuncs[:len(kfuncs):len(kfuncs)], moreKfuncs...)
	for _, d := range append(all, cgroupKfuncs...) {
		proto, _ := KfuncProto(d.name) // nil for kfuncs the header does not declare
		k := &bpfvm.Kfunc{Name: d.name, Fn: d.fn(b), Flags: d.flags, Proto: proto}
		switch {
		case d.name == "scx_bpf_now":
			k.Native = bpfvm.NativeClock // b.ktime(), bpfvm.NativeState.Clock (locks.go)
		case reflect.ValueOf(d.fn).Pointer() == reflect.ValueOf(kfNop).Pointer():
			k.Native = bpfvm.NativeZero // the JIT returns 0 without calling it
		}
		r.AddKfunc(k)
		for _, a := range d.aliases {
			if err := r.Alias(a, d.name); err != nil {
				panic(err) // the table above is static
			}
		}
	}
	helper := func(id int32, name string, fn bpfvm.Func, ret bpfvm.RetType, args ...bpfvm.ArgType) {
		h := &bpfvm.Helper{ID: id, Name: name, Fn: fn, Ret: ret, LockSafe: true}
		copy(h.Args[:], args)
		r.AddHelper(h)
	}
	for _, h := range []struct {
		id   int32
		name string
	}{{helperKtimeGetNs, "bpf_ktime_get_ns"}, {helperKtimeGetBootNs, "bpf_ktime_get_boot_ns"}, {helperKtimeGetCoarseNs, "bpf_ktime_get_coarse_ns"}} {
		// b.ktime(): bpfvm.NativeState.Clock while it is On (locks.go)
		r.AddHelper(&bpfvm.Helper{ID: h.id, Name: h.name, Fn: b.now, Ret: bpfvm.RetInteger, LockSafe: true, Native: bpfvm.NativeClock})
	}
	// jiffies_64: INITIAL_JIFFIES ((unsigned int)(-300 * HZ), include/linux/
	// jiffies.h) plus the ticks since boot (scx_layered reads it)
	helper(helperJiffies64, "bpf_jiffies64", func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		hz := uint64(1000) // CONFIG_HZ (kconfigDefaults)
		if b.opts.HZ > 0 {
			hz = uint64(b.opts.HZ)
		}
		return uint64(uint32(-300*int32(hz))) + b.ktime()*hz/1e9, nil
	}, bpfvm.RetInteger)
	r.AddHelper(&bpfvm.Helper{ID: helperGetSmpProcessorID, Name: "bpf_get_smp_processor_id", Fn: func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) {
		return uint64(c.CPU), nil
	}, Ret: bpfvm.RetInteger, LockSafe: true, Native: bpfvm.NativeCPU})
	helper(helperGetPrandomU32, "bpf_get_prandom_u32", func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return uint64(b.rand.Uint32()), nil
	}, bpfvm.RetInteger)
	// bpf_trace_printk_proto declares fmt and its size only: the up to
	// three values after them are read unchecked (bpf_printk with 0-2
	// values leaves r3-r5 unset); kernel/trace/bpf_trace.c
	helper(helperTracePrintk, "bpf_trace_printk", b.tracePrintk, bpfvm.RetInteger, bpfvm.ArgPtrToMem, bpfvm.ArgConstSize)
	helper(helperTraceVprintk, "bpf_trace_vprintk", b.traceVprintk, bpfvm.RetInteger, bpfvm.ArgPtrToMem, bpfvm.ArgConstSize, bpfvm.ArgPtrToMemOrNull, bpfvm.ArgConstSizeOrZero)
	// current: the running task, the CPU's idle task between tasks (never
	// NULL, as in the kernel).
	cur := func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) {
		return b.currAddr(c.CPU), nil
	}
	helper(helperGetCurrentTask, "bpf_get_current_task", cur, bpfvm.RetInteger)
	b.registerCurrentHelpers(helper)
	h := &bpfvm.Helper{ID: helperGetCurrentTaskBTF, Name: "bpf_get_current_task_btf", Fn: cur,
		Ret: bpfvm.RetPtrToBTFID, RetBTFType: "task_struct", LockSafe: true}
	r.AddHelper(h)
}

func (b *BPFPolicy) addrOf(t *sim.Task) uint64 { return b.taskAddr(t.K) }

func (b *BPFPolicy) now(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
	return b.ktime(), nil
}

// ktime is the BPF clock: simulated time plus Options.BootOffset.
func (b *BPFPolicy) ktime() uint64 { return b.k.Now() + b.opts.BootOffset }

func kfNop(*BPFPolicy) bpfvm.Func {
	return func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) { return 0, nil }
}

func kfDSQInsert(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, p, dsq, slice, fl, _ uint64) (uint64, error) {
		t := b.taskAt(p) // b.task, inline
		if t == nil {
			return 0, taskErr(p, "scx_bpf_dsq_insert")
		}
		b.k.DSQInsert(t, dsq, slice, fl)
		return 0, nil
	}
}

func kfDSQInsertVtime(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, p, dsq, slice, vtime, fl uint64) (uint64, error) {
		t := b.taskAt(p) // b.task, inline
		if t == nil {
			return 0, taskErr(p, "scx_bpf_dsq_insert_vtime")
		}
		b.k.DSQInsertVtime(t, dsq, slice, vtime, fl)
		return 0, nil
	}
}

func boolU(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

func kfMoveToLocal(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, dsq, _, _, _, _ uint64) (uint64, error) {
		return boolU(b.k.DSQMoveToLocal(dsq)), nil
	}
}

func kfNrSlots(b *BPFPolicy) bpfvm.Func {
	return func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		return uint64(b.k.DispatchNrSlots()), nil
	}
}

func kfDispatchCancel(b *BPFPolicy) bpfvm.Func {
	return func(*bpfvm.Context, uint64, uint64, uint64, uint64, uint64) (uint64, error) {
		b.k.DispatchCancel()
		return 0, nil
	}
}

func kfCreateDSQ(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, id, node, _, _, _ uint64) (uint64, error) {
		return uint64(int64(b.k.CreateDSQ(id, int32(node)))), nil
	}
}

func kfDestroyDSQ(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, id, _, _, _, _ uint64) (uint64, error) {
		b.k.DestroyDSQ(id)
		return 0, nil
	}
}

func kfNrQueued(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, id, _, _, _, _ uint64) (uint64, error) {
		return uint64(int64(b.k.DSQNrQueued(id))), nil
	}
}

func kfKickCPU(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, fl, _, _, _ uint64) (uint64, error) {
		b.k.KickCPU(int32(cpu), fl)
		return 0, nil
	}
}

func kfSelectCPUDfl(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, p, prev, wf, isIdle, _ uint64) (uint64, error) {
		t := b.taskAt(p) // b.task, inline
		if t == nil {
			return 0, taskErr(p, "scx_bpf_select_cpu_dfl")
		}
		cpu, idle := b.k.SelectCPUDfl(t, int32(prev), wf)
		if isIdle != 0 {
			if off := isIdle - b.memBase; off < uint64(len(b.mem)) { // Memory.Bytes(isIdle, 1), inline
				b.mem[off] = byte(boolU(idle))
			} else {
				_, err := c.VM.Mem.Bytes(isIdle, 1)
				return 0, fmt.Errorf("scx_bpf_select_cpu_dfl: is_idle: %w", err)
			}
		}
		return uint64(int64(cpu)), nil
	}
}

// cpumask returns a view of the struct cpumask at addr.
func cpumask(c *bpfvm.Context, addr uint64, what string) (*sim.CPUMask, error) {
	if _, err := c.VM.Mem.Bytes(addr, cpumaskSize); err != nil {
		return nil, fmt.Errorf("%s: cpumask: %w", what, err)
	}
	return bpfvm.Ptr[sim.CPUMask](c.VM.Mem, addr), nil
}

func kfPickIdleCPU(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, mask, fl, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, mask, "scx_bpf_pick_idle_cpu")
		if err != nil {
			return 0, err
		}
		return uint64(int64(b.k.PickIdleCPU(m, fl))), nil
	}
}

func kfPickAnyCPU(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, mask, fl, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, mask, "scx_bpf_pick_any_cpu")
		if err != nil {
			return 0, err
		}
		return uint64(int64(b.k.PickAnyCPU(m, fl))), nil
	}
}

func kfTestClearIdle(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, _, _, _, _ uint64) (uint64, error) {
		return boolU(b.k.TestAndClearCPUIdle(int32(cpu))), nil
	}
}

// kfIdleMask returns a snapshot of the idle mask in linear memory.
func kfIdleMask(smt bool) func(b *BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) {
			addr, src := b.idleMaskAddr, b.k.IdleMask()
			if smt {
				addr, src = b.idleSMTAddr, b.k.IdleSMTMask()
			}
			*bpfvm.Ptr[sim.CPUMask](c.VM.Mem, addr) = *src
			return addr, nil
		}
	}
}

func kfTaskRunning(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, p, _, _, _, _ uint64) (uint64, error) {
		t := b.taskAt(p) // b.task, inline
		if t == nil {
			return 0, taskErr(p, "scx_bpf_task_running")
		}
		return boolU(b.k.TaskRunning(t)), nil
	}
}

func kfTaskCPU(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, p, _, _, _, _ uint64) (uint64, error) {
		t := b.taskAt(p) // b.task, inline
		if t == nil {
			return 0, taskErr(p, "scx_bpf_task_cpu")
		}
		return uint64(int64(b.k.TaskCPU(t))), nil
	}
}

func kfNow(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) { return b.ktime(), nil }
}

func kfNrCPUIDs(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) { return uint64(b.k.NrCPUIDs()), nil }
}

// bstrFormat formats a bpf_bprintf-style string: fmt at fmtAddr, arguments
// as an array of u64 at data (size bytes). %s arguments are addresses of
// strings in linear memory.
func bstrFormat(c *bpfvm.Context, fmtAddr, data, size uint64) (string, error) {
	f, err := c.VM.Mem.CString(fmtAddr, 1024)
	if err != nil {
		return "", fmt.Errorf("format string: %w", err)
	}
	var args []uint64
	if size > 0 {
		raw, err := c.VM.Mem.Bytes(data, size)
		if err != nil {
			return "", fmt.Errorf("format arguments: %w", err)
		}
		for i := 0; i+8 <= len(raw); i += 8 {
			args = append(args, binary.LittleEndian.Uint64(raw[i:]))
		}
	}
	return formatPrintf(c, f, args), nil
}

// formatPrintf implements the conversions bpf_bprintf_prepare accepts:
// %d %i %u %x %X %o %c %s %p %% with the h, hh, l, ll and z modifiers.
func formatPrintf(c *bpfvm.Context, f string, args []uint64) string {
	var sb strings.Builder
	ai := 0
	next := func() uint64 {
		if ai < len(args) {
			ai++
			return args[ai-1]
		}
		return 0
	}
	for i := 0; i < len(f); i++ {
		ch := f[i]
		if ch != '%' || i+1 >= len(f) {
			sb.WriteByte(ch)
			continue
		}
		j := i + 1
		for j < len(f) && strings.IndexByte("-+ #0123456789.", f[j]) >= 0 {
			j++
		}
		flags := f[i+1 : j]
		size := 64
		for j < len(f) && strings.IndexByte("hlz", f[j]) >= 0 {
			if f[j] == 'h' {
				size /= 2
			}
			j++
		}
		if j >= len(f) {
			sb.WriteString(f[i:])
			break
		}
		conv := f[j]
		i = j
		switch conv {
		case '%':
			sb.WriteByte('%')
		case 'd', 'i':
			v := next()
			sb.WriteString(fmt.Sprintf("%"+flags+"d", signExt(v, size)))
		case 'u':
			sb.WriteString(fmt.Sprintf("%"+flags+"d", v(next(), size)))
		case 'x', 'X', 'o':
			sb.WriteString(fmt.Sprintf("%"+flags+string(conv), v(next(), size)))
		case 'c':
			sb.WriteByte(byte(next()))
		case 'p':
			sb.WriteString(fmt.Sprintf("0x%x", next()))
			for i+1 < len(f) && strings.IndexByte("SsBKk", f[i+1]) >= 0 {
				i++
			}
		case 's':
			s, err := c.VM.Mem.CString(next(), 256)
			if err != nil {
				s = "(invalid)"
			}
			sb.WriteString(fmt.Sprintf("%"+flags+"s", s))
		default:
			sb.WriteString(f[i-len(flags)-1 : i+1])
		}
	}
	return sb.String()
}

func v(x uint64, size int) uint64 {
	if size >= 64 || size <= 0 {
		return x
	}
	return x & (1<<size - 1)
}

func signExt(x uint64, size int) int64 {
	if size >= 64 || size <= 0 {
		return int64(x)
	}
	s := 64 - size
	return int64(x<<s) >> s
}

func kfErrorBstr(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, f, data, size, _, _ uint64) (uint64, error) {
		msg, err := bstrFormat(c, f, data, size)
		if err != nil {
			return 0, fmt.Errorf("scx_bpf_error_bstr: %w", err)
		}
		b.k.Error(msg)
		return 0, nil
	}
}

func kfExitBstr(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, code, f, data, size, _ uint64) (uint64, error) {
		msg, err := bstrFormat(c, f, data, size)
		if err != nil {
			return 0, fmt.Errorf("scx_bpf_exit_bstr: %w", err)
		}
		b.k.Exit(int64(code), msg)
		return 0, nil
	}
}

func kfTaskFromPID(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, pid, _, _, _, _ uint64) (uint64, error) {
		t := b.k.TaskByPID(int32(pid))
		if t == nil {
			return 0, nil
		}
		return b.addrOf(t), nil
	}
}

func kfTaskAcquire(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, p, _, _, _, _ uint64) (uint64, error) {
		if _, err := b.task(c, p, "bpf_task_acquire"); err != nil {
			return 0, err
		}
		return p, nil
	}
}

func kfCpumaskCreate(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, _, _, _, _, _ uint64) (uint64, error) {
		a, err := c.VM.Mem.Alloc(bpfCpumaskSize, 8)
		if err != nil {
			return 0, nil // -ENOMEM: NULL
		}
		c.VM.Mem.Store32(a+cpumaskSize, 1)
		return a, nil
	}
}

func kfCpumaskAcquire(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, m, _, _, _, _ uint64) (uint64, error) {
		if _, err := c.VM.Mem.Bytes(m, bpfCpumaskSize); err != nil {
			return 0, fmt.Errorf("bpf_cpumask_acquire: %w", err)
		}
		c.VM.Mem.Store32(m+cpumaskSize, c.VM.Mem.Load32(m+cpumaskSize)+1)
		return m, nil
	}
}

func kfCpumaskRelease(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, m, _, _, _, _ uint64) (uint64, error) {
		if _, err := c.VM.Mem.Bytes(m, bpfCpumaskSize); err != nil {
			return 0, fmt.Errorf("bpf_cpumask_release: %w", err)
		}
		n := c.VM.Mem.Load32(m + cpumaskSize)
		if n <= 1 {
			return 0, c.VM.Mem.Free(m)
		}
		c.VM.Mem.Store32(m+cpumaskSize, n-1)
		return 0, nil
	}
}

func kfCpumaskBit(set uint64) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, cpu, mask, _, _, _ uint64) (uint64, error) {
			m, err := cpumask(c, mask, "bpf_cpumask_set/clear_cpu")
			if err != nil {
				return 0, err
			}
			if cpu >= uint64(b.k.NrCPUIDs()) {
				return 0, nil
			}
			if set == 1 {
				m.Set(int(cpu))
			} else {
				m.Clear(int(cpu))
			}
			return 0, nil
		}
	}
}

func kfCpumaskTest(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, cpu, mask, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, mask, "bpf_cpumask_test_cpu")
		if err != nil {
			return 0, err
		}
		return boolU(cpu < sim.NrCPUs && m.Test(int(cpu))), nil
	}
}

func kfCpumaskFirst(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, mask, _, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, mask, "bpf_cpumask_first")
		if err != nil {
			return 0, err
		}
		if n := m.Next(0); n >= 0 {
			return uint64(n), nil
		}
		return uint64(b.k.NrCPUIDs()), nil
	}
}

func kfCpumaskWeight(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, mask, _, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, mask, "bpf_cpumask_weight")
		if err != nil {
			return 0, err
		}
		return uint64(m.Weight()), nil
	}
}

func kfCpumaskEmpty(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, mask, _, _, _, _ uint64) (uint64, error) {
		m, err := cpumask(c, mask, "bpf_cpumask_empty")
		if err != nil {
			return 0, err
		}
		return boolU(m.Empty()), nil
	}
}

func kfCpumaskFill(all bool) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, mask, _, _, _, _ uint64) (uint64, error) {
			m, err := cpumask(c, mask, "bpf_cpumask_setall/clear")
			if err != nil {
				return 0, err
			}
			*m = sim.CPUMask{}
			if all { // setall: every CPU that exists
				m.SetFirst(int(b.k.NrCPUIDs()))
			}
			return 0, nil
		}
	}
}

func kfCpumaskCopy(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, dst, src, _, _, _ uint64) (uint64, error) {
		d, err := cpumask(c, dst, "bpf_cpumask_copy")
		if err != nil {
			return 0, err
		}
		s, err := cpumask(c, src, "bpf_cpumask_copy")
		if err != nil {
			return 0, err
		}
		*d = *s
		return 0, nil
	}
}

func kfCpumaskOp(op func(a, b uint64) uint64) func(*BPFPolicy) bpfvm.Func {
	return func(b *BPFPolicy) bpfvm.Func {
		return func(c *bpfvm.Context, dst, s1, s2, _, _ uint64) (uint64, error) {
			d, err := cpumask(c, dst, "bpf_cpumask_and/or/xor")
			if err != nil {
				return 0, err
			}
			a, err := cpumask(c, s1, "bpf_cpumask_and/or/xor")
			if err != nil {
				return 0, err
			}
			bb, err := cpumask(c, s2, "bpf_cpumask_and/or/xor")
			if err != nil {
				return 0, err
			}
			var any uint64
			for i := range d.Bits {
				d.Bits[i] = op(a.Bits[i], bb.Bits[i])
				any |= d.Bits[i]
			}
			return boolU(any != 0), nil
		}
	}
}

func kfCpumaskIntersects(b *BPFPolicy) bpfvm.Func {
	return func(c *bpfvm.Context, s1, s2, _, _, _ uint64) (uint64, error) {
		a, err := cpumask(c, s1, "bpf_cpumask_intersects")
		if err != nil {
			return 0, err
		}
		bb, err := cpumask(c, s2, "bpf_cpumask_intersects")
		if err != nil {
			return 0, err
		}
		for i := range a.Bits {
			if a.Bits[i]&bb.Bits[i] != 0 {
				return 1, nil
			}
		}
		return 0, nil
	}
}

func (b *BPFPolicy) tracePrintk(c *bpfvm.Context, f, size, a1, a2, a3 uint64) (uint64, error) {
	s, err := c.VM.Mem.CString(f, int(min(size, 1024)))
	if err != nil {
		return 0, fmt.Errorf("bpf_trace_printk: %w", err)
	}
	b.logf(c, "%s", formatPrintf(c, s, []uint64{a1, a2, a3}))
	return 0, nil
}

func (b *BPFPolicy) traceVprintk(c *bpfvm.Context, f, size, data, dataLen, _ uint64) (uint64, error) {
	s, err := bstrFormat(c, f, data, dataLen)
	if err != nil {
		return 0, fmt.Errorf("bpf_trace_vprintk: %w", err)
	}
	b.logf(c, "%s", s)
	return 0, nil
}
