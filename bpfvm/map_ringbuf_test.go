package bpfvm

import "testing"

// TestRingbuf checks reserve/submit/discard/output of a ring buffer whose
// records user space consumes at once: space is held only by reservations
// not yet committed, a reservation that does not fit fails (NULL), as on a
// full ring, and committing twice is an error.
func TestRingbuf(t *testing.T) {
	vm, err := NewVM(VMConfig{MemSize: 1 << 20, NumCPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	m, err := newRingbufMap(vm, &MapSpec{Name: "rb", Type: MapRingbuf, MaxEntries: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSpec(&MapSpec{Name: "bad", Type: MapRingbuf, MaxEntries: 5000}); err == nil {
		t.Error("a ring buffer of 5000 bytes (not a power of 2) was accepted")
	}
	a := m.reserve(2000)
	b := m.reserve(2000)
	if a == 0 || b == 0 || b <= a {
		t.Fatalf("reservations %#x %#x", a, b)
	}
	if c := m.reserve(200); c != 0 {
		t.Errorf("a third reservation fit in a full ring: %#x", c)
	}
	if err := m.commit(a, true); err != nil {
		t.Fatal(err)
	}
	if err := m.commit(a, true); err == nil {
		t.Error("a record was submitted twice")
	}
	if c := m.reserve(1500); c == 0 {
		t.Error("no room after a submit freed 2008 bytes")
	} else if err := m.commit(c, false); err != nil {
		t.Fatal(err)
	}
	if err := m.commit(b, true); err != nil {
		t.Fatal(err)
	}
	if m.Submitted != 2 || m.Discarded != 1 || m.Dropped != 1 || m.used != 0 {
		t.Errorf("submitted %d discarded %d dropped %d used %d; want 2 1 1 0", m.Submitted, m.Discarded, m.Dropped, m.used)
	}
}

// TestRingbufSize checks that a ring buffer declared with a size that is
// not a power-of-2 multiple of the page is created rounded up, as libbpf
// does (adjust_ringbuf_sz), ring buffers and user ring buffers alike.
func TestRingbufSize(t *testing.T) {
	for _, c := range []struct{ in, want uint32 }{
		{0, 0}, {1, 4096}, {4096, 4096}, {5000, 8192}, {12288, 16384}, {360448, 524288}, {1 << 30, 1 << 30},
		{0xFFFFFFFF, 0xFFFFFFFF},
	} {
		if got := ringbufSize(c.in); got != c.want {
			t.Errorf("ringbufSize(%d) = %d, want %d", c.in, got, c.want)
		}
	}
	vm, err := NewVM(VMConfig{MemSize: 1 << 22, NumCPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	for _, typ := range []MapType{MapRingbuf, MapUserRingbuf} {
		m, err := newMap(vm, &MapSpec{Name: "rb", Type: typ, MaxEntries: 360448})
		if err != nil {
			t.Fatalf("%s: %v", mapTypeName(typ), err)
		}
		if got := m.Spec().MaxEntries; got != 524288 {
			t.Errorf("%s of 360448 bytes created with %d, want 524288", mapTypeName(typ), got)
		}
	}
}
