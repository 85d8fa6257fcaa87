package bpfvm

import (
	"encoding/binary"
	"errors"
	"testing"
)

func sampleBytes(id, stop uint32, value uint64) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b, id)
	binary.LittleEndian.PutUint32(b[4:], stop)
	binary.LittleEndian.PutUint64(b[8:], value)
	return b
}

type urbFixture struct {
	t   *testing.T
	vm  *VM
	in  *Instance
	c   *Context
	urb UserRingbuf
}

func newURBFixture(t *testing.T) *urbFixture {
	vm := newLoaderVM(t, 1, nil)
	in, err := vm.Load(loadTestObject(t, "userringbuf"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := vm.NewContext(0)
	if err != nil {
		t.Fatal(err)
	}
	c.Engine = testEngine()
	t.Cleanup(func() { c.Close() })
	urb, ok := in.Map("urb").(UserRingbuf)
	if !ok {
		t.Fatalf("urb is a %T, not a UserRingbuf", in.Map("urb"))
	}
	return &urbFixture{t, vm, in, c, urb}
}

func (f *urbFixture) run(prog string) int64 {
	f.t.Helper()
	r0, err := f.c.Call(f.in.Program(prog))
	if err != nil {
		f.t.Fatalf("%s: %v", prog, err)
	}
	return int64(r0)
}

func (f *urbFixture) global(name string) uint64 {
	f.t.Helper()
	_, addr, err := f.in.Var(name)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.vm.Mem.Load64(addr)
}

// TestUserRingbufDrain: samples written by user space are drained in order,
// each callback sees its sample through the dynptr, the callback's 1 stops
// the drain after that sample (counted), a discarded sample is skipped and
// not counted, a busy (reserved, unsubmitted) sample stops the drain, a
// sample shorter than the callback asks for gives NULL from
// bpf_dynptr_data, bad flags give -EINVAL and a nested drain of the same
// ring -EBUSY (kernel/bpf/ringbuf.c).
func TestUserRingbufDrain(t *testing.T) { onEngines(t, testUserRingbufDrain) }

func testUserRingbufDrain(t *testing.T) {
	f := newURBFixture(t)
	if got := f.run("drain"); got != 0 {
		t.Errorf("drain of an empty ring = %d", got)
	}
	for i := uint32(1); i <= 3; i++ {
		if err := f.urb.Write(sampleBytes(i, 0, uint64(i)*100)); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.run("drain"); got != 3 {
		t.Errorf("drain = %d, want 3", got)
	}
	if s, o, n := f.global("sum"), f.global("order"), f.global("seen"); s != 600 || o != 123 || n != 3 {
		t.Errorf("sum %d order %d seen %d; want 600 123 3", s, o, n)
	}
	if f.urb.Pending() != 0 {
		t.Errorf("%d bytes pending after the drain", f.urb.Pending())
	}

	// stop after sample 5; a discarded sample (4) is skipped, uncounted
	d, err := f.urb.Reserve(16)
	if err != nil {
		t.Fatal(err)
	}
	copy(d.Data, sampleBytes(4, 0, 4000))
	f.urb.Discard(d)
	f.urb.Write(sampleBytes(5, 1, 5))
	f.urb.Write(sampleBytes(6, 0, 6))
	if got := f.run("drain"); got != 1 {
		t.Errorf("drain stopped by the callback = %d, want 1", got)
	}
	if o := f.global("order"); o != 1235 {
		t.Errorf("order %d, want 1235 (4 discarded, 6 not reached)", o)
	}
	// a busy sample holds back the ones after it
	busy, err := f.urb.Reserve(16)
	if err != nil {
		t.Fatal(err)
	}
	copy(busy.Data, sampleBytes(7, 0, 7))
	f.urb.Write(sampleBytes(8, 0, 8))
	if got := f.run("drain"); got != 1 {
		t.Errorf("drain up to a busy sample = %d, want 1 (sample 6)", got)
	}
	f.urb.Submit(busy)
	if got := f.run("drain"); got != 2 {
		t.Errorf("drain after submit = %d, want 2", got)
	}
	if o := f.global("order"); o != 1235678 {
		t.Errorf("order %d, want 1235678", o)
	}
	// a short sample: bpf_dynptr_data(dynptr, 0, 16) is NULL
	f.urb.Write([]byte{1, 2, 3, 4})
	if got := f.run("drain"); got != 1 || f.global("short_samples") != 1 {
		t.Errorf("short sample: drain %d, short_samples %d", got, f.global("short_samples"))
	}
	if got := f.run("drain_bad_flags"); got != -22 {
		t.Errorf("flags 4: %d, want -EINVAL", got)
	}
	// nested drain: -EBUSY; bpf_dynptr_read copies the sample
	sum := f.global("sum")
	f.urb.Write(sampleBytes(9, 0, 9))
	if got := f.run("drain_nested"); got != 1 {
		t.Errorf("drain_nested = %d, want 1", got)
	}
	if n := int64(f.global("nested")); n != -16 {
		t.Errorf("nested drain = %d, want -EBUSY", n)
	}
	if s := f.global("sum"); s != sum+9 {
		t.Errorf("sum %d after bpf_dynptr_read, want %d", s, sum+9)
	}
}

// TestUserRingbufSpace: the ring takes samples up to its size (header and
// padding included), refuses more (ErrMapFull, libbpf's ENOSPC), and frees
// the space as samples are drained; samples that cross the end of the ring
// stay contiguous.
func TestUserRingbufSpace(t *testing.T) { onEngines(t, testUserRingbufSpace) }

func testUserRingbufSpace(t *testing.T) {
	f := newURBFixture(t)
	if _, err := f.urb.Reserve(4096); !errors.Is(err, ErrMapFull) {
		t.Errorf("a sample of the ring's size: %v", err)
	}
	// 24 bytes per sample: 170 fit in 4096
	n := 0
	for ; n < 200; n++ {
		if err := f.urb.Write(sampleBytes(1, 0, 1)); err != nil {
			if !errors.Is(err, ErrMapFull) {
				t.Fatal(err)
			}
			break
		}
	}
	if n != 170 {
		t.Fatalf("%d samples fit, want 170", n)
	}
	if got := f.run("drain"); got != 170 {
		t.Fatalf("drain = %d", got)
	}
	// positions now past the end: the next samples wrap
	for round := 0; round < 3; round++ {
		for i := 0; i < 100; i++ {
			if err := f.urb.Write(sampleBytes(0, 0, 2)); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.run("drain"); got != 100 {
			t.Fatalf("round %d: drain = %d", round, got)
		}
	}
	if s := f.global("sum"); s != 170+600 {
		t.Errorf("sum %d, want %d", s, 170+600)
	}
}

// TestRingbufConsumed: a ring buffer a Go consumer reads keeps its records
// in order until consumed; BPF_RB_AVAIL_DATA counts them; a full ring
// refuses reservations until records are consumed.
func TestRingbufConsumed(t *testing.T) { onEngines(t, testRingbufConsumed) }

func testRingbufConsumed(t *testing.T) {
	f := newURBFixture(t)
	krb, ok := f.in.Map("krb").(RingbufConsumer)
	if !ok {
		t.Fatal("krb is not a RingbufConsumer")
	}
	krb.SetConsumed()
	// 40 bytes per record: 102 fit in 4096
	for i := 1; i <= 102; i++ {
		if got := f.run("produce"); got != int64(i*40) {
			t.Fatalf("record %d: avail %d, want %d", i, got, i*40)
		}
	}
	if got := int32(f.run("produce")); got != -1 {
		t.Fatalf("a record past the ring's size: %d", got)
	}
	for want := uint64(0); want < 50; want++ {
		b, ok := krb.Consume()
		if !ok || binary.LittleEndian.Uint64(b) != want || len(b) != 32 {
			t.Fatalf("consume %d: %v %v", want, b, ok)
		}
	}
	if krb.AvailData() != 52*40 {
		t.Errorf("avail %d", krb.AvailData())
	}
	for i := 0; i < 50; i++ {
		if got := f.run("produce"); got <= 0 {
			t.Fatalf("after consuming, record %d: %d", i, got)
		}
	}
	for want := uint64(50); want < 152; want++ {
		b, ok := krb.Consume()
		if !ok || binary.LittleEndian.Uint64(b) != want {
			t.Fatalf("consume %d: %v %v", want, b, ok)
		}
	}
	if _, ok := krb.Consume(); ok || krb.AvailData() != 0 {
		t.Error("records left")
	}
}

// TestDynptrHelpers: a local dynptr over stack memory (bpf_dynptr_from_mem)
// is written and read back within its bounds (-E2BIG past them,
// bpf_dynptr_data NULL); a ring buffer record reserved through a dynptr is
// submitted (the consumer sees it) or discarded (it does not).
func TestDynptrHelpers(t *testing.T) { onEngines(t, testDynptrHelpers) }

func testDynptrHelpers(t *testing.T) {
	f := newURBFixture(t)
	if got := int32(f.run("dynptr_mem")); got != 0 {
		t.Errorf("dynptr_mem = %d", got)
	}
	krb := f.in.Map("krb").(RingbufConsumer)
	krb.SetConsumed()
	if got := int32(f.run("dynptr_ringbuf")); got != 0 {
		t.Fatalf("dynptr_ringbuf = %d", got)
	}
	b, ok := krb.Consume()
	if !ok || len(b) != 8 || binary.LittleEndian.Uint64(b) != 42 {
		t.Errorf("submitted record %v %v, want 42", b, ok)
	}
	if _, ok := krb.Consume(); ok || krb.AvailData() != 0 {
		t.Error("the discarded record was consumed")
	}
}
