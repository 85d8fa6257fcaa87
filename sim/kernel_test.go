package sim

import (
	"math/rand/v2"
	"testing"
)

// TestDistributeAnd: distributeAnd(a, b) is distribute(a & b) (the first
// CPU of a & b after the cursor, else the first from 0, which becomes the
// cursor) and anyAnd(a, b) is !(a & b).Empty(), for b holding only the
// machine's CPUs, on machines whose CPUs fill part of a word, whole words
// and all of CPUMask.
func TestDistributeAnd(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, cores := range []int{3, 32, 40, 96, 256} {
		m := mustMachine(t, versionParams(KernelLatest, 1, 1, cores, 2), &FIFO{})
		n := len(m.cpus)
		for i := 0; i < 5000; i++ {
			var a, b, in CPUMask
			for j := range a.Bits {
				if r.IntN(3) > 0 {
					a.Bits[j] = r.Uint64() & r.Uint64()
				}
				if r.IntN(4) == 0 {
					b.Bits[j] = r.Uint64() & r.Uint64() & r.Uint64()
				}
			}
			for c := n; c < NrCPUs; c++ {
				b.Clear(c)
			}
			in.And(&a, &b)
			cpu := r.IntN(n)
			m.cur = cbctx{cpu: cpu}
			cursor := r.IntN(n+1) - 1
			m.cpus[cpu].cursor = cursor
			want := in.Next(cursor + 1)
			if want < 0 {
				want = in.Next(0)
			}
			wantCursor := cursor
			if want >= 0 {
				wantCursor = want
			}
			if got := m.distributeAnd(&a, &b); got != want || m.cpus[cpu].cursor != wantCursor {
				t.Fatalf("%d CPUs, cursor %d: distributeAnd = %d (cursor %d), want %d (cursor %d)",
					n, cursor, got, m.cpus[cpu].cursor, want, wantCursor)
			}
			if got, want := m.anyAnd(&a, &b), !in.Empty(); got != want {
				t.Fatalf("%d CPUs: anyAnd = %v, want %v", n, got, want)
			}
		}
	}
}
