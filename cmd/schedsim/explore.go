package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// cmdExplore reruns a scenario under many seeds with interleaving on and
// PCT-randomised preemption at lock operations, and stops at the first
// deadlock, fault or stall with the command that replays it.
func cmdExplore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explore", args, stdout, stderr)
	runs := fs.Int("runs", 100, "number of runs `N`")
	policy := fs.String("policy", "", "policy `NAME` or PATH of a .bpf.o (default: the config's)")
	seed0 := fs.Uint64("seed", 1, "seed of the first run `S` (run i uses S+i)")
	durFlag := fs.String("duration", "200ms", "simulated `DURATION` of each run")
	depth := fs.Int("depth", 3, "PCT bug depth `D`")
	engine := fs.String("engine", "", "run BPF programs on `ENGINE`: jit or interp (default: the config's policy.engine, else jit on linux/amd64)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim explore [CONFIG] [--runs N] [--policy NAME|PATH] [--seed S] [--duration D] [--depth D] [--engine jit|interp]\n\n"+
			"Runs CONFIG (default: the built-in %s) N times with interleaved callbacks and randomised\n"+
			"preemption points at lock operations (PCT), and reports the first deadlock or fault found\n"+
			"with the command that replays it.\n\n", configs.Default)
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "schedsim explore: one config at most, got %d: %s\n", len(pos), strings.Join(pos, " "))
		return exitUsage
	}
	if *runs < 1 {
		fmt.Fprintf(stderr, "schedsim explore: --runs %d: expected a positive number of runs\n", *runs)
		return exitUsage
	}
	if *depth < 1 {
		fmt.Fprintf(stderr, "schedsim explore: --depth %d: expected an integer of at least 1 (1: no change points)\n", *depth)
		return exitUsage
	}
	cfgName := ""
	var cfg *sim.Config
	if len(pos) == 0 {
		data, err := configs.FS.ReadFile(configs.Default)
		if err == nil {
			cfgName = "configs/" + configs.Default
			cfg, err = sim.ParseConfig(cfgName, data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return exitFailure
		}
	} else {
		cfgName = pos[0]
		var err error
		if cfg, err = sim.LoadConfig(cfgName); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return exitUsage
		}
	}
	d, err := sim.ParseDuration(*durFlag)
	if err != nil || d == 0 {
		fmt.Fprintf(stderr, "schedsim explore: --duration %q: expected a positive duration such as 200ms\n", *durFlag)
		return exitUsage
	}
	if cfg.Run.Warmup >= d {
		cfg.Run.Warmup = 0
	}
	spec, params := cfg.Policy.Name, cfg.Policy.Params
	if *policy != "" && *policy != spec {
		spec, params = *policy, nil
	}
	var lockOps, contended uint64
	for i := 0; i < *runs; i++ {
		seed := *seed0 + uint64(i)
		o := sim.Overrides{Seed: &seed, Duration: &d, Interleave: true}
		mp := cfg.Params(o)
		ts := mp.Topology
		env := policyEnv{cpus: ts.Nodes * ts.LLCsPerNode * ts.CoresPerLLC * ts.ThreadsPerCore, topo: ts, hz: mp.HZ, kernel: mp.Kernel, seed: seed,
			insnCostPs: cfg.Policy.InsnCostPs, quantum: cfg.Policy.Quantum, lockTimeout: cfg.Policy.LockTimeout,
			pct: &policies.PCT{Seed: seed, Depth: *depth}, engine: engineOf(cfg, *engine),
			budgetInsns: cfg.Policy.BudgetInsns, budgetNs: cfg.Policy.BudgetTime}
		sched, err := resolvePolicy(spec, params, env)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim explore: %v\n", err)
			return exitUsage
		}
		scn, err := cfg.Build(sched, o)
		if err != nil {
			fmt.Fprintf(stderr, "schedsim explore: %v\n", err)
			return exitUsage
		}
		r, err := scn.Run()
		if b, ok := sched.(*policies.BPFPolicy); ok {
			for _, l := range b.LockReport() {
				lockOps += l.Acquisitions
				contended += l.Contended
			}
			b.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "schedsim explore: run %d: %v\n", i+1, err)
			return exitFailure
		}
		if e := r.Ejection; e != nil {
			fmt.Fprintf(stdout, "run %d of %d (seed %d): policy %s ejected at %s: %s\n\n%s\n\nreplay:\n  %s\n",
				i+1, *runs, seed, e.Policy, sim.FormatDuration(e.AtNs), e.Reason, e.Msg,
				replayCommand(pos, spec, *policy != "", seed, *durFlag, *depth))
			return exitFailure
		}
	}
	fmt.Fprintf(stdout, "%d runs of %s (%s each, seeds %d..%d, PCT depth %d): no deadlock, fault or stall\n",
		*runs, cfgName, *durFlag, *seed0, *seed0+uint64(*runs)-1, *depth)
	fmt.Fprintf(stdout, "lock acquisitions %d, contended %d\n", lockOps, contended)
	return exitOK
}

func replayCommand(pos []string, policy string, policyFlag bool, seed uint64, dur string, depth int) string {
	parts := []string{"schedsim", "run"}
	parts = append(parts, pos...)
	if policyFlag {
		parts = append(parts, "--policy", policy)
	}
	parts = append(parts, "--seed", strconv.FormatUint(seed, 10), "--duration", dur, "--pct")
	if depth != 3 {
		parts = append(parts, "--pct-depth", strconv.Itoa(depth))
	}
	return strings.Join(parts, " ")
}
