package bpfvm

import "testing"

// TestArenaPages checks the arena page allocator as kernel/bpf/arena.c
// behaves: lowest free range first, exact placement with an address hint
// (NULL if taken), globals' pages reserved at the end, freed pages reused.
func TestArenaPages(t *testing.T) {
	vm, err := NewVM(VMConfig{MemSize: 8 << 20, NumCPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	m, err := newArenaMap(vm, &MapSpec{Name: "arena", Type: MapArena, MaxEntries: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.placeGlobals([]byte{1, 2, 3}, 5000); err != nil { // 2 pages
		t.Fatal(err)
	}
	page := func(a uint64) int {
		if a == 0 {
			return -1
		}
		return int((a - m.Base()) / arenaPageSize)
	}
	if got := page(m.alloc(0, 3)); got != 0 {
		t.Errorf("first alloc at page %d, want 0", got)
	}
	if got := page(m.alloc(m.Base()+5*arenaPageSize, 2)); got != 5 {
		t.Errorf("alloc at hint page 5 gave %d", got)
	}
	if got := page(m.alloc(m.Base()+6*arenaPageSize, 1)); got != -1 {
		t.Errorf("alloc at a taken page gave %d, want NULL", got)
	}
	if got := page(m.alloc(0, 2)); got != 3 {
		t.Errorf("next alloc at page %d, want 3 (lowest free range)", got)
	}
	// pages 7..13 are free, 14 and 15 hold the globals
	if got := page(m.alloc(0, 8)); got != -1 {
		t.Errorf("alloc of 8 pages with 7 free gave page %d", got)
	}
	if got := page(m.alloc(0, 7)); got != 7 {
		t.Errorf("alloc of the last 7 free pages at %d, want 7", got)
	}
	g := m.mem().MustBytes(m.Base()+14*arenaPageSize, 4)
	if g[0] != 1 || g[2] != 3 || g[3] != 0 {
		t.Errorf("globals not at the arena's last pages: %v", g)
	}
	m.free(m.Base()+3*arenaPageSize, 2)
	d := m.mem().MustBytes(m.Base()+3*arenaPageSize, 8)
	d[0] = 0xff
	if got := page(m.alloc(0, 1)); got != 3 {
		t.Errorf("alloc after free at %d, want 3", got)
	}
	if d[0] != 0 {
		t.Error("a reallocated arena page is not zeroed")
	}
	if got := page(m.alloc(0, 0)); got != -1 {
		t.Errorf("alloc of 0 pages gave %d", got)
	}
}
