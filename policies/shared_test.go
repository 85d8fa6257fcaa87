package policies

import "testing"

// TestSharedContextRuns: without interleaving, the outermost callbacks
// run on the shared context (each CPU's own stays unused, its stack lent),
// and the lock bookkeeping that lets callArgs skip the held lists
// (goHeld) ends the run balanced, on both engines.
func TestSharedContextRuns(t *testing.T) {
	for _, engine := range []string{"jit", "interp"} {
		for _, obj := range []string{"eevdf", "testdata/locks/ticklocks.bpf.o"} {
			var params map[string]any
			if obj != "eevdf" {
				params = map[string]any{"mode": uint32(3)}
			}
			p, r, _ := nativeRun(t, obj, params, Options{}, engine, nil)
			if r.Ejection != nil {
				t.Fatalf("%s %s: ejected: %+v", engine, obj, r.Ejection)
			}
			var calls uint64
			for _, n := range p.Calls {
				calls += n
			}
			if p.shared.Insns == 0 || calls == 0 {
				t.Errorf("%s %s: the shared context ran %d instructions in %d callbacks", engine, obj, p.shared.Insns, calls)
			}
			for cpu, c := range p.ctxs {
				if c.Insns != 0 || c.Active() {
					t.Errorf("%s %s: cpu %d's own context ran %d instructions (active %v)", engine, obj, cpu, c.Insns, c.Active())
				}
			}
			held := 0
			for cpu := range p.cpuLock {
				held += len(p.cpuLock[cpu].held)
			}
			if p.goHeld != held || p.depth != 0 {
				t.Errorf("%s %s: goHeld %d, held lists %d, depth %d", engine, obj, p.goHeld, held, p.depth)
			}
		}
	}
}
