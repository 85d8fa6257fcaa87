package bpfvm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// TimerHost is what the embedder (the simulator) provides to run bpf_timer
// callbacks on simulated time. It owns the clock and the event queue; bpfvm
// only asks it to arm and cancel.
type TimerHost interface {
	// Now returns the current simulated time in nanoseconds. It is the
	// time of every clock a timer may be initialised with
	// (CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME).
	Now() uint64
	// Arm schedules fire at simulated time at (absolute; at may be in the
	// past, meaning now). cpu is the CPU that started the timer; pinned
	// is set for BPF_F_TIMER_CPU_PIN, when the callback must run on cpu
	// (otherwise the host may choose). fire runs the BPF callback on the
	// context the host passes, idle or in the middle of a program of that
	// CPU (it uses Context.CallSubprog), and returns the callback's error.
	// Arm returns an id for Cancel; ids are never reused.
	Arm(at uint64, cpu int, pinned bool, fire func(c *Context) error) uint64
	// Cancel removes the arming id if it has not fired yet, and reports
	// whether it had not.
	Cancel(id uint64) bool
}

// bpf_timer flags and clocks.
const (
	TimerAbs    = 1 << 0 // BPF_F_TIMER_ABS: nsecs is an absolute time
	TimerCPUPin = 1 << 1 // BPF_F_TIMER_CPU_PIN: fire on the starting CPU

	clockRealtime  = 0
	clockMonotonic = 1
	clockBoottime  = 7
)

// bpfTimer is the state behind a struct bpf_timer in a map value. The
// 16 bytes of the struct hold the timer's id (u64) and its own address, so
// that a copied or forged struct is not mistaken for an initialised timer.
type bpfTimer struct {
	id      uint64 // index in mapState.timers + 1
	addr    uint64 // the struct bpf_timer
	m       bpfMap // the map holding it
	value   uint64 // the map value containing it
	key     uint64 // the value's key (for the callback's second argument)
	keySlot bool   // key was allocated for this timer
	prog    *Program
	pc      int  // callback: subprogram of prog starting at pc
	hasCB   bool // set_callback was called
	armed   uint64
	gen     uint64 // bumped at every start and cancel: stale fires are ignored
	running int    // callback frames in progress
	freed   bool
}

func (vm *VM) timerAt(addr uint64) *bpfTimer {
	b, err := vm.Mem.Bytes(addr, 16)
	if err != nil {
		return nil
	}
	id := binary.LittleEndian.Uint64(b)
	ts := vm.mapState.timers
	if id == 0 || id > uint64(len(ts)) {
		return nil
	}
	t := ts[id-1]
	if t == nil || t.addr != addr || binary.LittleEndian.Uint64(b[8:]) != addr {
		return nil
	}
	return t
}

// freeTimers cancels and forgets the timers of the map value at value (an
// element being deleted), as the kernel's bpf_obj_free_timer.
func (vm *VM) freeTimers(m *mapBase, value uint64) {
	for _, off := range m.timers {
		t := vm.timerAt(value + uint64(off))
		if t == nil {
			continue
		}
		vm.dropTimer(t)
	}
}

func (vm *VM) dropTimer(t *bpfTimer) {
	if t.armed != 0 && vm.Timers != nil {
		vm.Timers.Cancel(t.armed)
	}
	t.armed, t.freed = 0, true
	t.gen++
	if t.keySlot {
		_ = vm.Mem.Free(t.key)
	}
	clear(vm.Mem.MustBytes(t.addr, 16))
	vm.mapState.timers[t.id-1] = nil
}

// LiveTimers returns the number of initialised bpf_timers.
func (vm *VM) LiveTimers() int {
	n := 0
	for _, t := range vm.mapState.timers {
		if t != nil {
			n++
		}
	}
	return n
}

// timerInit is bpf_timer_init(timer, map, flags).
func timerInit(c *Context, timer, mapAddr, flags uint64) (uint64, error) {
	vm := c.VM
	if _, err := vm.Mem.Bytes(timer, 16); err != nil {
		return 0, fmt.Errorf("timer at %#x: %v", timer, err)
	}
	m := vm.mapAt(mapAddr)
	if m == nil {
		return 0, fmt.Errorf("r2 = %#x is not a map", mapAddr)
	}
	if flags&^0xf != 0 {
		return negErrno(errnoEINVAL), nil
	}
	switch flags & 0xf {
	case clockRealtime, clockMonotonic, clockBoottime:
	default:
		return negErrno(errnoEINVAL), nil
	}
	if vm.timerAt(timer) != nil {
		return negErrno(errnoEBUSY), nil
	}
	t := &bpfTimer{addr: timer, m: m}
	switch mm := m.(type) {
	case *arrayMap:
		value, idx, ok := mm.locate(timer)
		if !ok || !isTimerField(&mm.mapBase, value, timer) {
			return 0, fmt.Errorf("timer at %#x is not a bpf_timer field of map %s", timer, m.Spec().Name)
		}
		key, err := vm.Mem.Alloc(8, 8)
		if err != nil {
			return negErrno(errnoENOMEM), nil
		}
		binary.LittleEndian.PutUint32(vm.Mem.MustBytes(key, 4), idx)
		t.value, t.key, t.keySlot = value, key, true
	case *hashMap:
		e, value, ok := mm.locate(timer)
		if !ok {
			return 0, fmt.Errorf("timer at %#x is not a bpf_timer field of map %s", timer, m.Spec().Name)
		}
		t.value, t.key = value, e.addr
	default:
		return 0, fmt.Errorf("bpf_timer in a %s map (%s)", mapTypeName(m.Spec().Type), m.Spec().Name)
	}
	vm.mapState.timers = append(vm.mapState.timers, t)
	t.id = uint64(len(vm.mapState.timers))
	b := vm.Mem.MustBytes(timer, 16)
	binary.LittleEndian.PutUint64(b, t.id)
	binary.LittleEndian.PutUint64(b[8:], timer)
	return 0, nil
}

func isTimerField(m *mapBase, value, addr uint64) bool {
	for _, off := range m.timers {
		if value+uint64(off) == addr {
			return true
		}
	}
	return false
}

// timerSetCallback is bpf_timer_set_callback(timer, callback_fn): the
// callback is the subprogram of the running program that callback_fn
// (FuncPtr) designates.
func timerSetCallback(c *Context, timer, fn uint64) (uint64, error) {
	t := c.VM.timerAt(timer)
	if t == nil {
		return negErrno(errnoEINVAL), nil
	}
	pc, ok := FuncPC(fn)
	if !ok || c.Prog == nil || pc >= len(c.Prog.Insns) {
		return 0, fmt.Errorf("callback_fn = %#x is not a subprogram of the running program", fn)
	}
	t.prog, t.pc, t.hasCB = c.Prog, pc, true
	return 0, nil
}

// timerStart is bpf_timer_start(timer, nsecs, flags).
func timerStart(c *Context, timer, nsecs, flags uint64) (uint64, error) {
	vm := c.VM
	t := vm.timerAt(timer)
	if t == nil || !t.hasCB || flags&^uint64(TimerAbs|TimerCPUPin) != 0 {
		return negErrno(errnoEINVAL), nil
	}
	if vm.Timers == nil {
		return 0, errors.New("the VM has no TimerHost to run timers on (VM.Timers)")
	}
	if t.armed != 0 {
		vm.Timers.Cancel(t.armed)
		t.armed = 0
	}
	at := nsecs
	if flags&TimerAbs == 0 {
		now := vm.Timers.Now()
		at = now + nsecs
		if at < now {
			at = ^uint64(0)
		}
	}
	t.gen++
	gen := t.gen
	t.armed = vm.Timers.Arm(at, c.CPU, flags&TimerCPUPin != 0, func(fc *Context) error {
		return vm.fireTimer(fc, t, gen)
	})
	return 0, nil
}

// fireTimer runs the callback of t: cb(map, key, value).
func (vm *VM) fireTimer(c *Context, t *bpfTimer, gen uint64) error {
	if t.freed || t.gen != gen || c == nil {
		return nil
	}
	t.armed = 0
	t.running++
	defer func() { t.running-- }()
	if _, err := c.CallSubprog(t.prog, t.pc, t.m.Addr(), t.key, t.value); err != nil {
		return fmt.Errorf("bpfvm: timer callback %s: %w", t.prog.Name, err)
	}
	return nil
}

// timerCancel is bpf_timer_cancel(timer): 1 if it was armed, 0 if not,
// -EDEADLK from the timer's own callback.
func timerCancel(c *Context, timer uint64) (uint64, error) {
	vm := c.VM
	t := vm.timerAt(timer)
	if t == nil {
		return negErrno(errnoEINVAL), nil
	}
	if t.running > 0 {
		return negErrno(errnoEDEADLK), nil
	}
	t.gen++
	if t.armed == 0 {
		return 0, nil
	}
	id := t.armed
	t.armed = 0
	if vm.Timers != nil && vm.Timers.Cancel(id) {
		return 1, nil
	}
	return 0, nil
}
