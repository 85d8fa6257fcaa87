package verifier_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/verifier"
)

// verifyAll verifies every program of the object at path, sharing cache
// (nil: none).
func verifyAll(t *testing.T, path string, cache *verifier.Cache) []*verifier.Result {
	t.Helper()
	progs, envs := policyEnvs(t, path)
	var results []*verifier.Result
	for i, p := range progs {
		envs[i].Cache = cache
		res, err := verifier.Verify(p, envs[i])
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		results = append(results, res)
	}
	return results
}

func edgeStrings(r *verifier.Result) []string {
	var s []string
	for _, e := range r.LockEdges {
		s = append(s, fmt.Sprintf("%s %v->%v %d:%d %d:%d", e.Prog, e.Held, e.Taken, e.HeldPC, e.HeldLine.Line, e.PC, e.Line.Line))
	}
	return s
}

// TestGlobalCacheReplay: a program that reuses a global function's
// verification gets what that verification found: the lock edges (with
// its own instruction indices and the function's source lines), the
// stack depths, and so the ABBA warning names every program involved.
func TestGlobalCacheReplay(t *testing.T) {
	const obj = "testdata/c/global_abba.bpf.o"
	plain := verifyAll(t, obj, nil)
	cache := verifier.NewCache()
	cached := verifyAll(t, obj, cache)
	if cache.Hits != 1 {
		t.Errorf("cache hits = %d, want 1 (dispatch reuses enqueue's take_ab)", cache.Hits)
	}
	reused := 0
	for i := range plain {
		p, c := plain[i], cached[i]
		if !slices.Equal(edgeStrings(p), edgeStrings(c)) {
			t.Errorf("%s: edges without cache %v, with %v", p.Prog, edgeStrings(p), edgeStrings(c))
		}
		if !slices.Equal(p.StackDepth, c.StackDepth) {
			t.Errorf("%s: stack depths %v vs %v", p.Prog, p.StackDepth, c.StackDepth)
		}
		if len(c.Reused) > 0 {
			reused++
			if !slices.Equal(c.Reused, []string{"take_ab"}) || c.InsnsProcessed >= p.InsnsProcessed {
				t.Errorf("%s: reused %v, %d insns vs %d without cache", c.Prog, c.Reused, c.InsnsProcessed, p.InsnsProcessed)
			}
		}
	}
	if reused != 1 {
		t.Errorf("%d programs reused a verification, want 1", reused)
	}
	for _, results := range [][]*verifier.Result{plain, cached} {
		ws := verifier.CheckLockOrder(results)
		if len(ws) != 1 {
			t.Fatalf("%d warnings, want 1: %v", len(ws), ws)
		}
		if !strings.Contains(ws[0].Msg, "gab_enqueue") && !strings.Contains(ws[0].Msg, "gab_dispatch") {
			t.Errorf("warning names no caller of take_ab:\n%s", ws[0].Msg)
		}
		for _, want := range []string{"gab_running", "global_abba.bpf.c:18", "global_abba.bpf.c:19",
			"global_abba.bpf.c:40", "global_abba.bpf.c:41"} {
			if !strings.Contains(ws[0].Msg, want) {
				t.Errorf("warning lacks %q:\n%s", want, ws[0].Msg)
			}
		}
	}
}

// TestGlobalCacheKey: a global function is reused only for the same code;
// the same cache across two objects with different functions of the same
// name verifies each.
func TestGlobalCacheKey(t *testing.T) {
	cache := verifier.NewCache()
	verifyAll(t, "testdata/c/global_abba.bpf.o", cache)
	hits := cache.Hits
	verifyAll(t, "testdata/c/global_funcs.bpf.o", cache)
	// global_funcs: running reuses account, bump and task_key of enqueue
	if got := cache.Hits - hits; got != 3 {
		t.Errorf("global_funcs: %d hits, want 3", got)
	}
}
