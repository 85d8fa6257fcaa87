package bpfvm

import (
	"math/rand/v2"
	"testing"
)

// TestHashIndex checks the open-addressing index against a Go map through
// random insertions and deletions (backward-shift deletion must keep every
// remaining key reachable), with keys that collide a lot.
func TestHashIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := newHashIndex()
	want := map[uint64]*hashElem{}
	for step := range 20000 {
		k := r.Uint64N(600) << (r.Uint64N(3) * 20)
		if e, ok := want[k]; ok {
			if x.find(k) != e {
				t.Fatalf("step %d: find(%#x) lost", step, k)
			}
			x.remove(k)
			delete(want, k)
		} else {
			if x.find(k) != nil {
				t.Fatalf("step %d: find(%#x) of an absent key", step, k)
			}
			e := &hashElem{addr: k + 1}
			x.insert(k, k+8, e)
			want[k] = e
		}
		if x.n != len(want) {
			t.Fatalf("step %d: %d keys, want %d", step, x.n, len(want))
		}
		if step%1000 == 0 {
			for k, e := range want {
				if i := x.slot(k); x.elems[i] != e || x.Slots[i].Val != k+8 {
					t.Fatalf("step %d: key %#x not found", step, k)
				}
			}
		}
	}
}
