package policies

import (
	"fmt"
	"sort"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/sim"
)

// Locks. Unlike the kernel, a schedsim policy may hold several locks at
// once (bpf_spin_lock and the resilient bpf_res_spin_lock of Linux 6.15).
// With interleaving on, callbacks of different CPUs overlap in simulated
// time: every lock operation is an interleaving point, a contended lock is
// a FIFO queue of spinning CPUs, and every blocking acquisition checks the
// exact wait-for graph over all CPUs for a cycle (AA, ABBA, longer). A
// cycle through a plain spin lock ejects the policy with a lockdep-style
// report; a resilient lock returns -EDEADLK to the acquirer that closed the
// cycle. A wait longer than the timeout returns -ETIMEDOUT (resilient) or
// ejects the policy (plain: the CPU would hang).

const (
	errnoEDEADLK   = 35
	errnoETIMEDOUT = 110
	// DefaultLockTimeout is the kernel's rqspinlock timeout (RES_DEF_TIMEOUT,
	// 250 ms, kernel/bpf/rqspinlock.c of 6.15).
	DefaultLockTimeout = 250_000_000
)

type lockState struct {
	addr      uint64
	name      string
	resilient bool
	// holder (CPU, -1 when free), when taken, acquisitions and hold
	// times: shared with native code (bpfvm.NativeState), which writes
	// these integers in place (the lockState stays reachable from b.locks)
	w         bpfvm.LockWord
	waiters   []int // CPUs, FIFO
	LockStats       // Name, Site, contention and wait (the rest is in w)
}

func (l *lockState) holder() int { return int(l.w.Holder) }

// LockStats are one lock's measurements.
type LockStats struct {
	Name         string `json:"name"`
	Site         string `json:"site"` // where it was first taken: file:line
	Acquisitions uint64 `json:"acquisitions"`
	Contended    uint64 `json:"contended"`
	WaitTotalNs  uint64 `json:"wait_total_ns"`
	WaitMaxNs    uint64 `json:"wait_max_ns"`
	HoldTotalNs  uint64 `json:"hold_total_ns"`
	HoldMaxNs    uint64 `json:"hold_max_ns"`
}

type heldLock struct {
	l    *lockState
	prog *bpfvm.Program
	pc   int
	at   uint64
}

// cpuLocks is a CPU's lock state.
type cpuLocks struct {
	held      []heldLock
	phase     uint8 // 0: none; 1: interleaving point taken; 2: waiting
	waitFor   *lockState
	waitStart uint64
	result    int64 // result handed to a waiter: 0, -EDEADLK, -ETIMEDOUT
	resultSet bool
	spin      uint64
	last      *lockState // the lock this CPU last looked up (lockAt)
}

func (b *BPFPolicy) lockAt(c *bpfvm.Context, addr uint64, resilient bool) (*lockState, error) {
	cs := b.cpuState(c)
	if l := cs.last; l != nil && l.addr == addr { // a CPU mostly takes the same lock again
		return l, nil
	}
	if l, ok := b.locks[addr]; ok {
		cs.last = l
		return l, nil
	}
	if _, err := c.VM.Mem.Bytes(addr, 4); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	l := &lockState{addr: addr, w: bpfvm.LockWord{Holder: -1}, resilient: resilient}
	l.name = b.lockName(addr)
	l.Name = l.name
	b.locks[addr] = l
	return l, nil
}

// lockName names a lock by the global variable holding it, or by its
// address in the VM's memory.
func (b *BPFPolicy) lockName(addr uint64) string {
	for _, v := range b.inst.Vars {
		if v.Map < 0 || v.Map >= len(b.inst.Maps) {
			continue
		}
		base, ok := b.inst.Maps[v.Map].ValueAddr(v.Offset)
		if !ok || addr < base || addr >= base+uint64(v.Size) {
			continue
		}
		if off := addr - base; off != 0 {
			return fmt.Sprintf("%s+%d", v.Name, off)
		}
		return v.Name
	}
	return "lock@" + b.vm.Mem.Describe(addr)
}

func site(p *bpfvm.Program, pc int) string {
	if p == nil {
		return "?"
	}
	if l, ok := p.LineFor(pc); ok && l.File != "" {
		return fmt.Sprintf("%s:%d", strings.TrimPrefix(l.File, "./"), l.Line)
	}
	return fmt.Sprintf("%s+%d", p.Name, pc)
}

// siteOf is site(p, pc), formatted once per instruction: observers get a
// lock event's site on every lock operation, and formatting it each time
// cost EEVDF's simulation a quarter of its speed under the dashboard.
func (b *BPFPolicy) siteOf(p *bpfvm.Program, pc int) string {
	k := siteKey{p, pc}
	if s, ok := b.sites[k]; ok {
		return s
	}
	if b.sites == nil {
		b.sites = map[siteKey]string{}
	}
	s := site(p, pc)
	b.sites[k] = s
	return s
}

type siteKey struct {
	p  *bpfvm.Program
	pc int
}

func (b *BPFPolicy) cpuState(c *bpfvm.Context) *cpuLocks { return &b.cpuLock[c.CPU] }

// lockOp implements bpf_spin_lock and bpf_res_spin_lock.
func (b *BPFPolicy) lockOp(c *bpfvm.Context, addr uint64, resilient bool) (uint64, error) {
	cs := b.cpuState(c)
	b.syncHeld(c.CPU)
	b.goLockOps++
	l, err := b.lockAt(c, addr, resilient)
	if err != nil {
		return 0, err
	}
	il := b.k.CanSuspend()
	switch cs.phase {
	case 0:
		if il {
			cs.phase = 1
			b.yieldReason[c.CPU] = yieldPoint
			return 0, bpfvm.ErrYield // interleaving point before the lock
		}
	case 2:
		// Woken up: the lock was handed over, or the wait was cut short.
		cs.phase = 0
		cs.waitFor = nil
		w := b.k.Now() - cs.waitStart
		cs.spin += w
		l.WaitTotalNs += w
		l.WaitMaxNs = max(l.WaitMaxNs, w)
		if cs.resultSet && cs.result != 0 {
			cs.resultSet = false
			return uint64(cs.result), nil // a negative errno
		}
		cs.resultSet = false
		if l.holder() != c.CPU {
			return 0, fmt.Errorf("lock %s: woken up without the lock", l.name)
		}
		b.took(c, cs, l)
		return 0, nil
	}
	cs.phase = 0
	if l.holder() < 0 {
		l.w.Holder = int64(c.CPU)
		b.took(c, cs, l)
		return 0, nil
	}
	// Contended: would this wait close a cycle?
	if cyc := b.cycle(c.CPU, l); cyc != nil {
		report := b.deadlockReport(c, l, cyc)
		b.k.Emit(sim.PolicyEvent{Kind: sim.PolicyDeadlock, Name: l.name, Site: site(c.Prog, c.PC), Text: report})
		if resilient {
			b.logf(c, "bpf_res_spin_lock returns -EDEADLK: %s", report)
			b.Deadlocks = append(b.Deadlocks, report)
			return negErr(errnoEDEADLK), nil
		}
		b.Deadlocks = append(b.Deadlocks, report)
		return 0, &bpfvm.Fault{Prog: c.Prog, PC: c.PC, Reason: report}
	}
	if !il {
		// Without interleaving nobody else runs: the holder left the lock
		// held when its callback returned.
		return 0, fmt.Errorf("lock %s is held by cpu %d, which is not running BPF code (taken at %s and never released)",
			l.name, l.holder(), l.Site)
	}
	l.Contended++
	if b.k.Wants(sim.PolicyLockWait) {
		b.k.Emit(sim.PolicyEvent{Kind: sim.PolicyLockWait, Name: l.name, Site: b.siteOf(c.Prog, c.PC)})
	}
	l.waiters = append(l.waiters, c.CPU)
	cs.phase = 2
	cs.waitFor = l
	cs.waitStart = b.k.Now()
	b.yieldReason[c.CPU] = yieldBlocked
	cpu := c.CPU
	timeout := b.opts.LockTimeout
	if timeout == 0 {
		timeout = DefaultLockTimeout
	}
	start := cs.waitStart
	b.k.Machine().AtGlobal(start+timeout, func() { b.lockTimeout(cpu, l, start) })
	return 0, bpfvm.ErrYield
}

func (b *BPFPolicy) took(c *bpfvm.Context, cs *cpuLocks, l *lockState) {
	l.w.HeldAt = b.k.Now()
	l.w.Acquisitions++
	if l.Site == "" {
		l.Site = b.siteOf(c.Prog, c.PC)
	}
	cs.held = append(cs.held, heldLock{l: l, prog: c.Prog, pc: c.PC, at: l.w.HeldAt})
	b.goHeld++
	// the native fast path may take it from now on (its site is set)
	b.nat.Cache[bpfvm.CacheIndex(l.addr)] = bpfvm.LockCacheEntry{Addr: l.addr, Word: l.w.Addr()}
	if b.k.Wants(sim.PolicyLockAcquire) {
		b.k.Emit(sim.PolicyEvent{Kind: sim.PolicyLockAcquire, Name: l.name, Site: b.siteOf(c.Prog, c.PC)})
	}
}

// unlockOp implements bpf_spin_unlock and bpf_res_spin_unlock.
func (b *BPFPolicy) unlockOp(c *bpfvm.Context, addr uint64) (uint64, error) {
	cs := b.cpuState(c)
	b.syncHeld(c.CPU)
	b.goLockOps++
	if b.k.CanSuspend() && cs.phase == 0 {
		cs.phase = 1
		b.yieldReason[c.CPU] = yieldPoint
		return 0, bpfvm.ErrYield
	}
	cs.phase = 0
	l := cs.last
	if l == nil || l.addr != addr {
		l = b.locks[addr]
	}
	if l == nil || l.holder() != c.CPU {
		name := b.lockName(addr)
		holder := "nobody"
		if l != nil && l.holder() >= 0 {
			holder = fmt.Sprintf("cpu %d", l.holder())
		}
		return 0, fmt.Errorf("unlock of %s, which this CPU does not hold (held by %s)", name, holder)
	}
	i := len(cs.held) - 1
	for i >= 0 && cs.held[i].l != l {
		i--
	}
	cs.held = append(cs.held[:i], cs.held[i+1:]...)
	b.goHeld--
	if b.k.Wants(sim.PolicyLockRelease) {
		b.k.Emit(sim.PolicyEvent{Kind: sim.PolicyLockRelease, Name: l.name, Site: b.siteOf(c.Prog, c.PC)})
	}
	b.release(l)
	return 0, nil
}

// release frees l, handing it to the first waiter.
func (b *BPFPolicy) release(l *lockState) {
	now := b.k.Now()
	w := &l.w
	h := now - w.HeldAt
	w.HoldTotal += h
	w.HoldMax = max(w.HoldMax, h)
	w.Holder = -1
	if len(l.waiters) == 0 {
		return
	}
	next := l.waiters[0]
	l.waiters = l.waiters[1:]
	w.Holder = int64(next)
	w.HeldAt = now
	b.k.Unblock(next, 0)
}

// cycle follows the wait-for graph from the lock cpu is about to wait for;
// it returns the CPUs on a cycle back to cpu, in order, or nil.
func (b *BPFPolicy) cycle(cpu int, l *lockState) []int {
	path := []int{cpu}
	for n := 0; n <= len(b.cpuLock); n++ {
		h := l.holder()
		if h == cpu {
			return path
		}
		path = append(path, h)
		next := b.cpuLock[h].waitFor
		if next == nil {
			return nil
		}
		l = next
	}
	return nil
}

func (b *BPFPolicy) deadlockReport(c *bpfvm.Context, want *lockState, cyc []int) string {
	var sb strings.Builder
	kind := fmt.Sprintf("%d-CPU cycle", len(cyc))
	switch len(cyc) {
	case 1:
		kind = "AA"
	case 2:
		kind = "ABBA"
	}
	fmt.Fprintf(&sb, "possible deadlock (%s) detected:", kind)
	for i, cpu := range cyc {
		b.syncHeld(cpu)
		cs := &b.cpuLock[cpu]
		prog := "?"
		if ctx := b.ctxOf(cpu); ctx.Prog != nil {
			prog = ctx.Prog.Name
		}
		fmt.Fprintf(&sb, "\n  cpu%d (ops.%s, %s) holds:", cpu, b.slots[cpu].cb, prog)
		for _, h := range cs.held {
			fmt.Fprintf(&sb, "\n    %s, taken at %s", h.l.name, site(h.prog, h.pc))
		}
		w := cs.waitFor
		where := ""
		if i == 0 {
			w = want
			where = " at " + site(c.Prog, c.PC)
		}
		if w != nil {
			fmt.Fprintf(&sb, "\n  and waits for %s%s, held by cpu%d", w.name, where, w.holder())
		}
	}
	return sb.String()
}

func (b *BPFPolicy) lockTimeout(cpu int, l *lockState, start uint64) {
	cs := &b.cpuLock[cpu]
	if cs.waitFor != l || cs.waitStart != start || b.k.Failed() {
		return
	}
	for i, w := range l.waiters {
		if w == cpu {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			break
		}
	}
	msg := fmt.Sprintf("cpu%d waited %dms for %s, held by cpu%d since it was taken at %s",
		cpu, (b.k.Now()-start)/1e6, l.name, l.holder(), l.Site)
	b.Timeouts = append(b.Timeouts, msg)
	if l.resilient {
		b.logf(nil, "bpf_res_spin_lock returns -ETIMEDOUT: %s", msg)
		cs.result, cs.resultSet = -errnoETIMEDOUT, true
		b.k.Unblock(cpu, 0)
		return
	}
	b.k.Fault("BPF lock timeout", b.name+": "+msg)
}

// Abort drops the callbacks suspended on every CPU (the policy is being
// ejected): their contexts are reset and their locks forgotten.
func (b *BPFPolicy) Abort() {
	b.aborted = true
}

// checkExit faults a callback that returns with locks held.
func (b *BPFPolicy) checkExit(c *bpfvm.Context) error {
	b.syncHeld(c.CPU)
	cs := b.cpuState(c)
	if len(cs.held) == 0 {
		return nil
	}
	var names []string
	for _, h := range cs.held {
		names = append(names, h.l.name+" (taken at "+site(h.prog, h.pc)+")")
	}
	for i := len(cs.held) - 1; i >= 0; i-- {
		b.release(cs.held[i].l)
	}
	b.goHeld -= len(cs.held)
	cs.held = cs.held[:0]
	return fmt.Errorf("callback returned with %s held", strings.Join(names, ", "))
}

// LockReport returns every lock's statistics, most contended first.
func (b *BPFPolicy) LockReport() []LockStats {
	out := make([]LockStats, 0, len(b.locks))
	for _, l := range b.locks {
		s := l.LockStats
		s.Acquisitions, s.HoldTotalNs, s.HoldMaxNs = l.w.Acquisitions, l.w.HoldTotal, l.w.HoldMax
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.Contended != c.Contended {
			return a.Contended > c.Contended
		}
		if a.WaitTotalNs != c.WaitTotalNs {
			return a.WaitTotalNs > c.WaitTotalNs
		}
		return a.Name < c.Name
	})
	return out
}

func (b *BPFPolicy) registerLocks(r *bpfvm.Registry) {
	lock := func(res bool) bpfvm.Func {
		return func(c *bpfvm.Context, addr, _, _, _, _ uint64) (uint64, error) { return b.lockOp(c, addr, res) }
	}
	unlock := func(c *bpfvm.Context, addr, _, _, _, _ uint64) (uint64, error) { return b.unlockOp(c, addr) }
	r.AddHelper(&bpfvm.Helper{ID: helperSpinLock, Name: "bpf_spin_lock", Fn: lock(false),
		Args: [5]bpfvm.ArgType{bpfvm.ArgPtrToSpinLock}, Ret: bpfvm.RetVoid, LockSafe: true, Native: bpfvm.NativeSpinLock})
	r.AddHelper(&bpfvm.Helper{ID: helperSpinUnlock, Name: "bpf_spin_unlock", Fn: unlock,
		Args: [5]bpfvm.ArgType{bpfvm.ArgPtrToSpinLock}, Ret: bpfvm.RetVoid, LockSafe: true, Native: bpfvm.NativeSpinUnlock})
	for _, n := range []string{"bpf_res_spin_lock", "bpf_res_spin_lock_irqsave"} {
		proto, _ := KfuncProto(n)
		r.AddKfunc(&bpfvm.Kfunc{Name: n, Fn: lock(true), Flags: bpfvm.KfLockSafe, Proto: proto})
	}
	for _, n := range []string{"bpf_res_spin_unlock", "bpf_res_spin_unlock_irqrestore"} {
		proto, _ := KfuncProto(n)
		r.AddKfunc(&bpfvm.Kfunc{Name: n, Fn: unlock, Flags: bpfvm.KfLockSafe, Proto: proto})
	}
}

// nativeOK reports whether the native lock and clock helpers
// (bpfvm.NativeState) may run during the callback about to start: without
// interleaving the clock stands still during a callback and no lock
// operation is an interleaving point, and nobody listens to lock events.
func (b *BPFPolicy) nativeOK() bool {
	return !b.k.Interleaving() && !b.k.Wants(sim.PolicyLockAcquire) && !b.k.Wants(sim.PolicyLockRelease)
}

// readsNativeState reports whether p calls a helper or kfunc that the JIT
// serves from bpfvm.NativeState (locks, clocks).
func readsNativeState(p *bpfvm.Program, reg *bpfvm.Registry) bool {
	for _, in := range p.Insns {
		if in.Op != bpfvm.ClassJMP|bpfvm.JmpCALL {
			continue
		}
		var n bpfvm.Native
		switch in.Src {
		case 0:
			if h := reg.Helper(in.Imm); h != nil {
				n = h.Native
			}
		case bpfvm.CallKfunc:
			if k := reg.Kfunc(in.Imm); k != nil {
				n = k.Native
			}
		}
		if n == bpfvm.NativeSpinLock || n == bpfvm.NativeSpinUnlock || n == bpfvm.NativeClock {
			return true
		}
	}
	return false
}

// syncHeld moves the locks cpu took natively (bpfvm.NativeState) to the
// end of its held list, so that the list is complete (the native ones
// are the newest).
func (b *BPFPolicy) syncHeld(cpu int) {
	if nc := &b.nat.CPUs[cpu]; nc.N != 0 {
		b.moveHeld(cpu, nc)
	}
}

func (b *BPFPolicy) moveHeld(cpu int, nc *bpfvm.LockCPU) {
	cs := &b.cpuLock[cpu]
	for _, h := range nc.Held[:nc.N] {
		cs.held = append(cs.held, heldLock{l: b.locks[h.Addr], prog: b.vm.Programs[h.Prog], pc: int(h.PC), at: h.At})
	}
	b.goHeld += int(nc.N)
	nc.N = 0
}

// holding reports whether cpu holds a lock.
func (b *BPFPolicy) holding(cpu int) bool {
	return len(b.cpuLock[cpu].held) != 0 || b.nat.CPUs[cpu].N != 0
}

// negErr is -errno as a BPF return value.
func negErr(errno int64) uint64 { return uint64(-errno) }
