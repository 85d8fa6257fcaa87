package verifier_test

import (
	"strings"
	"testing"

	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/verifier"
)

// policyEnvs loads a policy without verifying it and returns, for every
// program, the environment the policy loader verifies it in.
func policyEnvs(t testing.TB, name string) ([]*bpfvm.Program, []*verifier.Env) {
	b, err := policies.Open(name, policies.Options{NumCPUs: 2, NoVerify: true})
	if err != nil {
		if strings.Contains(err.Error(), "which the VM does not provide") {
			t.Skipf("the VM cannot load %s yet: %v", name, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var progs []*bpfvm.Program
	var envs []*verifier.Env
	for _, p := range b.Instance().Programs {
		env, err := b.VerifierEnv(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		progs = append(progs, p)
		envs = append(envs, env)
	}
	return progs, envs
}

func TestVerifyBuiltinPolicies(t *testing.T) {
	for _, name := range policies.Builtins() {
		progs, envs := policyEnvs(t, name)
		if len(progs) == 0 {
			t.Fatalf("%s: no programs", name)
		}
		var results []*verifier.Result
		for i, p := range progs {
			res, err := verifier.Verify(p, envs[i])
			if err != nil {
				if ve, ok := err.(*verifier.Error); ok {
					t.Errorf("%s/%s rejected: %v\n%s", name, p.Name, err, ve.Log)
				} else {
					t.Errorf("%s/%s: %v", name, p.Name, err)
				}
				continue
			}
			t.Logf("%s/%s: %d insns processed, %d states, peak %d", name, p.Name, res.InsnsProcessed, res.StatesTotal, res.PeakStates)
			results = append(results, res)
		}
		if w := verifier.CheckLockOrder(results); len(w) != 0 {
			t.Errorf("%s: lock order warnings: %v", name, w)
		}
	}
}

func BenchmarkVerifyBuiltinPolicies(b *testing.B) {
	for _, name := range policies.Builtins() {
		progs, envs := policyEnvs(b, name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				// as schedsim loads a policy: one cache per object
				cache := verifier.NewCache()
				for i, p := range progs {
					envs[i].Cache = cache
					if _, err := verifier.Verify(p, envs[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestStructOpsNullableArgs: ops.dispatch's prev and ops.yield's to may be
// NULL (ext.c's __nullable stubs); the other task arguments may not.
func TestStructOpsNullableArgs(t *testing.T) {
	kbtf, err := policies.KernelBTF()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		member   string
		nullable []bool
	}{
		{"dispatch", []bool{false, true}},
		{"yield", []bool{false, true}},
		{"enqueue", []bool{false, false}},
		{"running", []bool{false}},
	} {
		args, _, err := verifier.StructOpsArgs(kbtf, "sched_ext_ops", c.member)
		if err != nil {
			t.Fatal(err)
		}
		if len(args) != len(c.nullable) {
			t.Fatalf("%s: %d args, want %d", c.member, len(args), len(c.nullable))
		}
		for i, a := range args {
			if a.Nullable != c.nullable[i] {
				t.Errorf("%s arg %d (%s): nullable %v, want %v", c.member, i, a.Name, a.Nullable, c.nullable[i])
			}
		}
	}
}

// TestPrintkFewValues: bpf_printk with 0-2 values leaves r3-r5 unset;
// bpf_trace_printk's prototype declares only fmt and its size.
func TestPrintkFewValues(t *testing.T) {
	_, envs := policyEnvs(t, "fifo")
	env := *envs[0]
	env.Args, env.ReturnVoid = nil, false
	src := `
r1 = 0x0a7825
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
r2 = 4
r3 = 7
call bpf_trace_printk
r1 = r10
r1 += -8
r2 = 4
call bpf_trace_printk
r1 = r10
r1 += -8
r2 = 4
r3 = 0
r4 = 0
call bpf_trace_vprintk
r0 = 0
exit
`
	insns, err := bpfvm.AssembleWith(src, env.Registry)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(&bpfvm.Program{Name: "printk", Insns: insns}, &env); err != nil {
		t.Fatal(err)
	}
}
