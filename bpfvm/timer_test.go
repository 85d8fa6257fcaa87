package bpfvm

import (
	"cmp"
	"encoding/binary"
	"slices"
	"testing"
)

// fakeHost is a TimerHost with a manual clock.
type fakeHost struct {
	now     uint64
	next    uint64
	pending []armedTimer
}

type armedTimer struct {
	id, at uint64
	cpu    int
	pinned bool
	fire   func(*Context) error
}

func (h *fakeHost) Now() uint64 { return h.now }

func (h *fakeHost) Arm(at uint64, cpu int, pinned bool, fire func(*Context) error) uint64 {
	h.next++
	h.pending = append(h.pending, armedTimer{h.next, at, cpu, pinned, fire})
	return h.next
}

func (h *fakeHost) Cancel(id uint64) bool {
	for i, a := range h.pending {
		if a.id == id {
			h.pending = slices.Delete(h.pending, i, i+1)
			return true
		}
	}
	return false
}

// fireNext fires the earliest armed timer on ctxs[cpu].
func (h *fakeHost) fireNext(t *testing.T, ctxs []*Context) armedTimer {
	t.Helper()
	if len(h.pending) == 0 {
		t.Fatal("no timer armed")
	}
	slices.SortStableFunc(h.pending, func(a, b armedTimer) int { return cmp.Compare(a.at, b.at) })
	a := h.pending[0]
	h.pending = h.pending[1:]
	h.now = max(h.now, a.at)
	if err := a.fire(ctxs[a.cpu]); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRunTimers(t *testing.T) { onEngines(t, testRunTimers) }

func testRunTimers(t *testing.T) {
	obj := loadTestObject(t, "maps")
	vm := newLoaderVM(t, 2, nil)
	host := &fakeHost{now: 100}
	vm.Timers = host
	in, err := vm.Load(obj, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctxs := make([]*Context, 2)
	for i := range ctxs {
		ctxs[i], _ = vm.NewContext(i)
		ctxs[i].Engine = testEngine()
		defer ctxs[i].Close()
	}
	// Array map timer: relative, not pinned.
	if r0, err := ctxs[1].Call(in.Program("use_timer")); err != nil || r0 != 0 {
		t.Fatalf("use_timer = %d, %v", int32(r0), err)
	}
	if len(host.pending) != 1 || host.pending[0].at != 1100 || host.pending[0].cpu != 1 || host.pending[0].pinned {
		t.Fatalf("armed %+v", host.pending)
	}
	host.fireNext(t, ctxs)
	v, _ := in.Map("timers").Lookup(u32b(0))
	if fired, key := binary.LittleEndian.Uint64(v[16:]), binary.LittleEndian.Uint64(v[24:]); fired != 1 || key != 100 {
		t.Errorf("after firing: fired %d, seen_key %d (want 1, 100)", fired, key)
	}
	// A second bpf_timer_init of the same timer: -EBUSY, so use_timer returns -2.
	if r0, _ := ctxs[0].Call(in.Program("use_timer")); int32(r0) != -2 {
		t.Errorf("second use_timer = %d, want -2", int32(r0))
	}
	// A Go-side update of the value keeps the timer.
	if err := in.Map("timers").Update(u32b(0), make([]byte, 40), 0); err != nil {
		t.Fatal(err)
	}
	if vm.LiveTimers() != 1 {
		t.Errorf("%d live timers", vm.LiveTimers())
	}

	// Hash map timer: absolute, pinned; the callback cannot cancel itself.
	if r0, err := ctxs[0].Call(in.Program("use_hash_timer")); err != nil || r0 != 0 {
		t.Fatalf("use_hash_timer = %d, %v", int32(r0), err)
	}
	if len(host.pending) != 1 || host.pending[0].at != 500 || host.pending[0].cpu != 0 || !host.pending[0].pinned {
		t.Fatalf("armed %+v", host.pending)
	}
	host.fireNext(t, ctxs)
	hv, _ := in.Map("htimers").Lookup(u32b(7))
	if fired, key, ret := binary.LittleEndian.Uint64(hv[16:]), binary.LittleEndian.Uint64(hv[24:]), int64(binary.LittleEndian.Uint64(hv[32:])); fired != 1 || key != 7 || ret != -errnoEDEADLK {
		t.Errorf("hash timer: fired %d, key %d, cancel %d", fired, key, ret)
	}
	// Re-arm it, then delete the element: the timer is cancelled with it.
	// bpf_map_update_elem of the existing key writes in place and keeps the
	// timer (the kernel would free it with the old element), so
	// bpf_timer_init fails with -EBUSY and the program returns -3.
	if r0, _ := ctxs[0].Call(in.Program("use_hash_timer")); int32(r0) != -3 {
		t.Fatalf("use_hash_timer again = %d, want -3", int32(r0))
	}
	if vm.LiveTimers() != 2 {
		t.Errorf("%d live timers, want 2", vm.LiveTimers())
	}
	if err := in.Map("htimers").Delete(u32b(7)); err != nil {
		t.Fatal(err)
	}
	if vm.LiveTimers() != 1 {
		t.Errorf("%d live timers after delete, want 1", vm.LiveTimers())
	}
}

// The helpers' edge cases, called directly.
func TestTimerHelpers(t *testing.T) { onEngines(t, testTimerHelpers) }

func testTimerHelpers(t *testing.T) {
	obj := loadTestObject(t, "maps")
	vm := newLoaderVM(t, 1, nil)
	host := &fakeHost{now: 1000}
	in, err := vm.Load(obj, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := &mapEnv{t: t, vm: vm, c: &Context{VM: vm}}
	e.buf, _ = vm.Mem.Alloc(256, 8)
	m := in.Map("timers")
	timer := e.call(0, HelperMapLookupElem, m.Addr(), e.arg(0, u32b(0)))
	prog := in.Program("use_timer")
	cb := FuncPtr(prog.Funcs[1].Start)
	e.c.Prog = prog

	if r := e.call(0, HelperTimerInit, timer, m.Addr(), 3); errno(r) != errnoEINVAL {
		t.Errorf("init with clock 3 = %d", errno(r))
	}
	if r := e.call(0, HelperTimerStart, timer, 10, 0); errno(r) != errnoEINVAL {
		t.Errorf("start before init = %d", errno(r))
	}
	if r := e.call(0, HelperTimerInit, timer, m.Addr(), 1); r != 0 {
		t.Fatalf("init = %d", errno(r))
	}
	if r := e.call(0, HelperTimerStart, timer, 10, 0); errno(r) != errnoEINVAL {
		t.Errorf("start without callback = %d", errno(r))
	}
	if r := e.call(0, HelperTimerSetCallback, timer, cb); r != 0 {
		t.Fatalf("set_callback = %d", errno(r))
	}
	// No TimerHost: a fault, not an errno.
	if _, err := vm.Registry.Helper(HelperTimerStart).Fn(e.c, timer, 10, 0, 0, 0); err == nil {
		t.Error("start without a TimerHost did not fault")
	}
	vm.Timers = host
	if r := e.call(0, HelperTimerStart, timer, 10, 4); errno(r) != errnoEINVAL {
		t.Errorf("start with flag 4 = %d", errno(r))
	}
	e.call(0, HelperTimerStart, timer, 10, 0)
	e.call(0, HelperTimerStart, timer, 20, 0) // restarts
	if len(host.pending) != 1 || host.pending[0].at != 1020 {
		t.Errorf("after restart: %+v", host.pending)
	}
	if r := e.call(0, HelperTimerCancel, timer); r != 1 {
		t.Errorf("cancel of an armed timer = %d", r)
	}
	if r := e.call(0, HelperTimerCancel, timer); r != 0 {
		t.Errorf("cancel of an idle timer = %d", r)
	}
	if len(host.pending) != 0 {
		t.Errorf("pending after cancel: %+v", host.pending)
	}
	// A relative time that overflows saturates.
	e.call(0, HelperTimerStart, timer, ^uint64(0)-10, 0)
	if host.pending[0].at != ^uint64(0) {
		t.Errorf("overflowing start at %d", host.pending[0].at)
	}
	// A stale firing (after cancel) does nothing.
	stale := host.pending[0]
	e.call(0, HelperTimerCancel, timer)
	c, _ := vm.NewContext(0)
	c.Engine = testEngine()
	defer c.Close()
	if err := stale.fire(c); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Lookup(u32b(0)); binary.LittleEndian.Uint64(v[16:]) != 0 {
		t.Error("a cancelled timer fired")
	}
	// A forged bpf_timer (copied bytes elsewhere) is not a timer.
	other := e.call(0, HelperMapLookupElem, in.Map("arr").Addr(), e.arg(0, u32b(0)))
	copy(vm.Mem.MustBytes(other, 16), vm.Mem.MustBytes(timer, 16))
	if r := e.call(0, HelperTimerCancel, other); errno(r) != errnoEINVAL {
		t.Errorf("cancel of a forged timer = %d", errno(r))
	}
	// bpf_timer_init on a map that does not hold the timer.
	if _, err := vm.Registry.Helper(HelperTimerInit).Fn(e.c, other, m.Addr(), 1, 0, 0); err == nil {
		t.Error("init of a timer outside its map did not fault")
	}
}
