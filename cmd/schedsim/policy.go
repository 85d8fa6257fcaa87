package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// goPolicies are the Go reference policies, reachable by name for
// comparison with their BPF twins.
var goPolicies = []string{"fifo-go"}

// policyEnv is what loading a BPF policy needs to know about the run.
type policyEnv struct {
	cpus        int
	seed        uint64
	insnCostPs  uint64
	noVerify    bool
	quantum     uint64
	lockTimeout uint64
	pct         *policies.PCT
	log         io.Writer
	engine      string           // "jit", "interp" or "" (the default)
	topo        sim.TopologySpec // zero: cpus cores in one LLC
	hz          int
	kernel      sim.KernelVersion
	ops         string // --ops NAME
	recipe      string // --recipe NAME|FILE
	budgetInsns uint64 // per-callback budgets (0: defaults)
	budgetNs    uint64
}

// samePolicy reports whether policy specs a and b name the same policy:
// the same built-in name, or paths of the same file (the command line's
// relative to the working directory, the config's to its directory).
func samePolicy(a, b string) bool {
	if a == b {
		return true
	}
	if !strings.ContainsAny(a, "/.") || !strings.ContainsAny(b, "/.") {
		return false
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// resolvePolicy returns the policy spec names: a built-in BPF policy
// ("fifo"), a Go reference policy ("fifo-go"), or the path of a .bpf.o,
// configured with params ([policy.params] of the config). A parameter the
// policy does not take is an error.
func resolvePolicy(spec string, params []sim.Param, env policyEnv) (sim.Scheduler, error) {
	if spec == "fifo-go" {
		f := &sim.FIFO{}
		for _, p := range params {
			switch p.Name {
			case "slice_ns":
				if s, ok := p.Value.(string); ok && s == "inf" {
					f.Slice = sim.SliceInf
					continue
				}
				d, err := p.Duration()
				if err != nil {
					return nil, err
				}
				f.Slice = d
			default:
				return nil, p.Errorf("policy fifo-go has no parameter %q; valid parameters: slice_ns (a duration, or \"inf\")", p.Name)
			}
		}
		return f, nil
	}
	obj, err := policies.ParseObject(spec)
	if err != nil {
		if !strings.ContainsAny(spec, "/.") {
			return nil, fmt.Errorf("unknown policy %q; valid policies: %s, %s, or the path of a .bpf.o",
				spec, strings.Join(policies.Builtins(), ", "), strings.Join(goPolicies, ", "))
		}
		return nil, err
	}
	ps, err := policies.ConfigParams(obj, params)
	if err != nil {
		return nil, err
	}
	var recipe *policies.Recipe
	if env.recipe != "" && env.recipe != "none" {
		if recipe, err = policies.LoadRecipe(env.recipe); err != nil {
			return nil, err
		}
	}
	return policies.LoadObject(obj, policies.Options{NumCPUs: env.cpus, Params: ps,
		Recipe: recipe, NoRecipe: env.recipe == "none", InsnCostPs: env.insnCostPs, Seed: env.seed, Log: env.log, NoVerify: env.noVerify,
		Quantum: env.quantum, LockTimeout: env.lockTimeout, PCT: env.pct, Engine: env.engine,
		Topology: env.topo, HZ: env.hz, Kernel: env.kernel, Ops: env.ops,
		BudgetInsns: env.budgetInsns, BudgetNs: env.budgetNs})
}
