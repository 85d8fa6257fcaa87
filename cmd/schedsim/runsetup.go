package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/verifier"
)

// The steps every command that runs a scenario shares (run, run with
// several policies, top): read the config, apply the flags, resolve a
// policy by name or path, build the scenario.

// loadRunConfig reads the config named by the positional arguments (at
// most one; default: the built-in web.toml). On error it has said why on
// stderr and returns the exit code.
func loadRunConfig(cmd string, pos []string, stderr io.Writer) (*sim.Config, int) {
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "schedsim %s: one config at most, got %d: %s\n", cmd, len(pos), strings.Join(pos, " "))
		return nil, exitUsage
	}
	if len(pos) == 0 {
		data, err := configs.FS.ReadFile(configs.Default)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim %s: %v\n", cmd, err)
			return nil, exitFailure
		}
		cfg, err := sim.ParseConfig("configs/"+configs.Default, data)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return nil, exitFailure
		}
		return cfg, exitOK
	}
	cfg, err := sim.LoadConfig(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return nil, exitUsage
	}
	return cfg, exitOK
}

// overrides turns --seed and --duration into config overrides.
func (f runFlags) overrides(cmd string, stderr io.Writer) (sim.Overrides, bool) {
	var o sim.Overrides
	if f.seed != "" {
		s, err := strconv.ParseUint(f.seed, 0, 64)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim %s: --seed %q: expected a non-negative integer\n", cmd, f.seed)
			return o, false
		}
		o.Seed = &s
	}
	if f.duration != "" {
		d, err := sim.ParseDuration(f.duration)
		if err != nil || d == 0 {
			fmt.Fprintf(stderr, "schedsim %s: --duration %q: expected a positive duration such as 500ms or 2s\n", cmd, f.duration)
			return o, false
		}
		o.Duration = &d
	}
	if f.interleave || f.pct {
		o.Interleave = true
	}
	return o, true
}

// policyEnv returns what loading a policy for cfg with overrides o needs.
func (f runFlags) policyEnv(cfg *sim.Config, o sim.Overrides) policyEnv {
	mp := cfg.Params(o)
	ts := mp.Topology
	env := policyEnv{cpus: ts.Nodes * ts.LLCsPerNode * ts.CoresPerLLC * ts.ThreadsPerCore,
		seed: mp.Seed, insnCostPs: cfg.Policy.InsnCostPs, noVerify: f.noVerify,
		quantum: cfg.Policy.Quantum, lockTimeout: cfg.Policy.LockTimeout, engine: engineOf(cfg, f.engine),
		topo: ts, hz: mp.HZ, kernel: mp.Kernel, ops: f.ops, recipe: f.recipe,
		budgetInsns: cfg.Policy.BudgetInsns, budgetNs: cfg.Policy.BudgetTime}
	if f.budgetInsns != 0 {
		env.budgetInsns = f.budgetInsns
	}
	if f.budgetTime != 0 {
		env.budgetNs = f.budgetTime
	}
	if f.pct {
		env.pct = &policies.PCT{Seed: mp.Seed, Depth: f.pctDepth}
	}
	return env
}

// engineOf is the engine a run uses: --engine, else the config's
// policy.engine (else the default).
func engineOf(cfg *sim.Config, flagEngine string) string {
	if flagEngine != "" {
		return flagEngine
	}
	return cfg.Policy.Engine
}

// policySpecs splits --policy into the policies to run, each with the
// [policy.params] of the config when it names the config's own policy.
// Without --policy it is the config's policy.
func policySpecs(cmd string, cfg *sim.Config, flag string, stderr io.Writer) ([]policySpec, bool) {
	if flag == "" {
		return []policySpec{{cfg.Policy.Name, cfg.Policy.Params}}, true
	}
	var specs []policySpec
	for _, name := range strings.Split(flag, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			fmt.Fprintf(stderr, "schedsim %s: --policy %q: empty policy name in the list\n", cmd, flag)
			return nil, false
		}
		var params []sim.Param
		if samePolicy(name, cfg.Policy.Name) {
			params = cfg.Policy.Params
		}
		specs = append(specs, policySpec{name, params})
	}
	return specs, true
}

// policySpec is one policy to run: a name or path, and its parameters.
type policySpec struct {
	name   string
	params []sim.Param
}

// buildRun resolves the policy and builds the config's scenario under it.
// A policy error is reported with where it came from (the config's
// policy.name when no --policy was given) and, for a verifier rejection,
// the verifier's log.
func buildRun(cmd string, cfg *sim.Config, o sim.Overrides, env policyEnv, spec policySpec, fromFlag bool, stderr io.Writer) (*sim.Scenario, sim.Scheduler, int) {
	sched, err := resolvePolicy(spec.name, spec.params, env)
	if err != nil {
		var ce *sim.ConfigError
		if !fromFlag && !errors.As(err, &ce) {
			fmt.Fprintf(stderr, "%s: policy.name: %v\n", cfg.Policy.Pos, err)
		} else {
			fmt.Fprintf(stderr, "schedsim %s: %v\n", cmd, err)
		}
		var ve *verifier.Error
		if errors.As(err, &ve) && ve.Log != "" {
			fmt.Fprintf(stderr, "\nverifier log:\n%s\n(run with --no-verify to run it anyway)\n", ve.Log)
		}
		return nil, nil, exitUsage
	}
	if _, ok := sched.(*policies.BPFPolicy); ok {
		if _, note, _ := policies.NewEngine(env.engine); note != "" {
			fmt.Fprintln(stderr, note) // no JIT on this platform
		}
	}
	if b, ok := sched.(*policies.BPFPolicy); ok {
		if b.ProgramNote != "" {
			fmt.Fprintf(stderr, "note: programs %s\n", b.ProgramNote)
		}
		if b.RecipeNote != "" {
			fmt.Fprintf(stderr, "note: %s\n", b.RecipeNote)
		}
	}
	scn, err := cfg.Build(sched, o)
	if err != nil {
		closePolicy(sched)
		fmt.Fprintf(stderr, "schedsim %s: %v\n", cmd, err)
		return nil, nil, exitUsage
	}
	return scn, sched, exitOK
}

// closePolicy releases a BPF policy's VM.
func closePolicy(s sim.Scheduler) {
	if b, ok := s.(*policies.BPFPolicy); ok {
		b.Close()
	}
}
