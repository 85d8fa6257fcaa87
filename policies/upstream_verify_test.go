package policies

import (
	"testing"
)

// TestVerifyUpstreamFeatures runs the verifier on the test policies that
// use upstream features: syscall programs, RCU sections and KF_RCU cpumask
// kfuncs (upstream.bpf.o: its sleepable up_init reads its kptr inside
// bpf_rcu_read_lock(), as scx's schedulers do; its SEC("?syscall")
// optional_broken, which the verifier would reject, is not loaded), arenas
// (arena.bpf.o), cgroups (cgroup.bpf.o). All must pass; turning
// optional_broken's autoload on must make the verifier reject the policy.
func TestVerifyUpstreamFeatures(t *testing.T) {
	for _, obj := range []string{"testdata/cgroup.bpf.o", "testdata/upstream.bpf.o", "testdata/arena.bpf.o"} {
		pol, err := Open(obj, Options{NumCPUs: 4, NoVerify: true})
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		rep, err := pol.Verify(nil)
		pol.Close()
		if err != nil {
			t.Errorf("%s: rejected: %v", obj, err)
			continue
		}
		t.Logf("%s: accepted, %d programs", obj, len(rep.Results))
	}
	r, err := ParseRecipe("on.toml", []byte("name = \"upstream\"\nautoload = [\"optional_broken\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pol, err := Open("testdata/upstream.bpf.o", Options{NumCPUs: 4, Recipe: r}); err == nil {
		pol.Close()
		t.Fatal("optional_broken autoloaded: the policy was accepted")
	} else {
		t.Logf("optional_broken autoloaded: %v", err)
	}
}

// forEngines runs f on the interpreter and on the JIT (where it runs: the
// interpreter again elsewhere), as subtests.
func forEngines(t *testing.T, f func(t *testing.T, engine string)) {
	for _, engine := range []string{"interp", "jit"} {
		t.Run(engine, func(t *testing.T) { f(t, engine) })
	}
}
