package bpfvm

import "testing"

// TestFreeAboveDense checks Free on both sides of denseSizes: class
// allocations after a large one that crosses it (an arena's pages) are
// freed and reused as below it, and bad frees fail on both sides.
func TestFreeAboveDense(t *testing.T) {
	m, err := NewMemory(2 * denseSizes)
	if err != nil {
		t.Fatal(err)
	}
	low, err := m.Alloc(24, 8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Alloc(denseSizes, 4096); err != nil { // large: bump only
		t.Fatal(err)
	}
	high, err := m.Alloc(24, 8)
	if err != nil {
		t.Fatal(err)
	}
	if high-m.Base() < denseSizes {
		t.Fatalf("allocation at offset %#x, want one above %#x", high-m.Base(), denseSizes)
	}
	for _, a := range []uint64{low, high} {
		if err := m.Free(a); err != nil {
			t.Fatalf("Free(%#x): %v", a-m.Base(), err)
		}
		if err := m.Free(a); err == nil {
			t.Fatalf("second Free(%#x) succeeded", a-m.Base())
		}
	}
	// LIFO free list of the 32-byte class: high, then low
	for _, want := range []uint64{high, low} {
		if a, err := m.Alloc(30, 8); err != nil || a != want {
			t.Fatalf("Alloc = %#x, %v; want %#x", a-m.Base(), err, want-m.Base())
		}
	}
	if m.InUse() != 64+denseSizes {
		t.Fatalf("InUse = %d", m.InUse())
	}
}
