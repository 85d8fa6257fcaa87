package verifier_test

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/verifier"
)

// policyEnvs loads a built-in policy and returns, for every program, the
// environment it is verified in: this is what `schedsim verify` does.
func policyEnvs(t testing.TB, name string) ([]*bpfvm.Program, []*verifier.Env) {
	b, err := policies.Open(name, policies.Options{NumCPUs: 2, NoVerify: true})
	if err != nil {
		if strings.Contains(err.Error(), "which the VM does not provide") {
			t.Skipf("the VM cannot load %s yet: %v", name, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kbtf, err := policies.KernelBTF()
	if err != nil {
		t.Fatal(err)
	}
	vm := b.VM()
	// Until the runtime serves bpf_spin_lock/unlock, describe them for the
	// verifier (prototypes as in the kernel).
	for _, h := range []*bpfvm.Helper{
		{ID: 93, Name: "bpf_spin_lock", Args: [5]bpfvm.ArgType{bpfvm.ArgPtrToSpinLock}, Ret: bpfvm.RetVoid},
		{ID: 94, Name: "bpf_spin_unlock", Args: [5]bpfvm.ArgType{bpfvm.ArgPtrToSpinLock}, Ret: bpfvm.RetVoid},
	} {
		if vm.Registry.Helper(h.ID) == nil {
			vm.Registry.AddHelper(h)
		}
	}
	var specs []*bpfvm.MapSpec
	for _, m := range vm.Maps {
		specs = append(specs, m.Spec())
	}
	writable := func(s *btf.Struct, off, size uint32) bool {
		if s.Name != "task_struct" {
			return false
		}
		var base uint32
		var scx *btf.Struct
		for _, m := range s.Members {
			if m.Name == "scx" {
				base = m.Offset.Bytes()
				scx, _ = btf.UnderlyingType(m.Type).(*btf.Struct)
			}
		}
		if scx == nil {
			return false
		}
		for _, m := range scx.Members {
			switch m.Name {
			case "slice", "dsq_vtime", "disallow":
				sz, err := btf.Sizeof(m.Type)
				if err != nil {
					continue
				}
				lo := base + m.Offset.Bytes()
				if m.BitfieldSize != 0 {
					lo = base + m.Offset.Bytes()&^7
					sz = 8
				}
				if off >= lo && off+size <= lo+uint32(sz) {
					return true
				}
			}
		}
		return false
	}
	var progs []*bpfvm.Program
	var envs []*verifier.Env
	for _, p := range b.Instance().Programs {
		env := &verifier.Env{Maps: specs, Registry: vm.Registry, KernelBTF: kbtf, WritableField: writable}
		if p.StructOpsMember != "" {
			args, void, err := verifier.StructOpsArgs(kbtf, "sched_ext_ops", p.StructOpsMember)
			if err != nil {
				t.Fatal(err)
			}
			env.Args, env.ReturnVoid = args, void
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
				for i, p := range progs {
					if _, err := verifier.Verify(p, envs[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
