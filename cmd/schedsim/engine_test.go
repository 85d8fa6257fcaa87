package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/configs"
	"github.com/schedsim/schedsim/jit"
	"github.com/schedsim/schedsim/sim"
)

// TestEnginesSameSchedule runs every config in configs/ with the fifo,
// eevdf and test policies, three seeds, interleaving off and on, on the
// JIT and on the interpreter: the schedule hash and the whole result must
// be equal. Runs are 10 ms of simulated time (-short: one seed);
// SCHEDSIM_ENGINES_FULL=1 makes them 200 ms.
func TestEnginesSameSchedule(t *testing.T) {
	if !jit.Supported {
		t.Skip("no JIT on this platform")
	}
	names, err := fs.Glob(configs.FS, "*.toml")
	if err != nil || len(names) == 0 {
		t.Fatalf("configs: %v %v", names, err)
	}
	policies := []string{"fifo", "eevdf", "../../policies/testdata/central.bpf.o",
		"../../policies/testdata/locks/ticklocks.bpf.o", "../../policies/testdata/oob.bpf.o"}
	seeds := []uint64{1, 2, 3}
	dur := uint64(10_000_000)
	if testing.Short() {
		seeds = seeds[:1]
	}
	if os.Getenv("SCHEDSIM_ENGINES_FULL") != "" {
		dur = 200_000_000
	}
	for _, name := range names {
		data, err := configs.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := sim.ParseConfig("configs/"+name, data)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Run.Warmup = 0
		for _, pol := range policies {
			for _, seed := range seeds {
				for _, il := range []bool{false, true} {
					var out [2]string
					for k, engine := range []string{"interp", "jit"} {
						out[k] = runEngine(t, cfg, pol, seed, dur, il, engine)
					}
					if out[0] != out[1] {
						t.Errorf("%s, %s, seed %d, interleave %v: the engines differ\ninterp: %s\njit:    %s",
							name, pol, seed, il, out[0], out[1])
					}
				}
			}
		}
	}
}

func runEngine(t *testing.T, cfg *sim.Config, pol string, seed, dur uint64, interleave bool, engine string) string {
	t.Helper()
	o := sim.Overrides{Seed: &seed, Duration: &dur, Interleave: interleave}
	mp := cfg.Params(o)
	ts := mp.Topology
	var log bytes.Buffer
	env := policyEnv{cpus: ts.Nodes * ts.LLCsPerNode * ts.CoresPerLLC * ts.ThreadsPerCore, seed: seed,
		insnCostPs: cfg.Policy.InsnCostPs, quantum: cfg.Policy.Quantum, lockTimeout: cfg.Policy.LockTimeout,
		engine: engine, log: &log, noVerify: strings.Contains(pol, "oob")} // oob faults at run time
	if strings.Contains(pol, "testdata") {
		env.recipe = "none" // our test objects, not the upstream schedulers recipes are for
	}
	if interleave && env.quantum == 0 {
		env.quantum = 7 // preemption inside blocks, not only at lock operations
	}
	sched, err := resolvePolicy(pol, nil, env)
	if err != nil {
		t.Fatalf("%s: %v", pol, err)
	}
	scn, err := cfg.Build(sched, o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := scn.Run()
	js, _ := json.Marshal(r)
	s := fmt.Sprintf("hash %s err %v result %s log %s", r.ScheduleHash, err, js, log.String())
	if !strings.Contains(s, "hash ") {
		t.Fatal("no hash")
	}
	return s
}

// TestEngineCLI: --engine on run and exec, exec --count, verify -v's JIT
// table, and the config's engine and budget keys.
func TestEngineCLI(t *testing.T) {
	var hashes []string
	for _, e := range []string{"jit", "interp"} {
		code, out, errOut := cli(t, "run", "--duration", "300ms", "--engine", e)
		if code != exitOK {
			t.Fatalf("run --engine %s: exit %d: %s", e, code, errOut)
		}
		i := strings.Index(out, "schedule hash")
		if i < 0 {
			t.Fatalf("run --engine %s: no schedule hash:\n%s", e, out)
		}
		hashes = append(hashes, strings.Fields(out[i:])[2])
	}
	if hashes[0] != hashes[1] {
		t.Errorf("schedule hash jit %s, interp %s", hashes[0], hashes[1])
	}
	if code, _, errOut := cli(t, "run", "--duration", "300ms", "--engine", "turbo"); code == exitOK || !strings.Contains(errOut, `unknown engine "turbo"; valid engines: jit, interp`) {
		t.Errorf("run --engine turbo: %d %q", code, errOut)
	}

	prog := "r0 = 0\nr1 = 0\nl: r0 += r1\nr1 += 1\nif r1 < 1000 goto l\nexit\n"
	for _, e := range []string{"jit", "interp"} {
		var stdout, stderr bytes.Buffer
		code := cmdExec([]string{"--engine", e, "--count", "20"}, strings.NewReader(prog), &stdout, &stderr)
		out := stdout.String()
		if code != 0 || !strings.Contains(out, "engine "+e) || !strings.Contains(out, "r0 0x79f2c") || !strings.Contains(out, "insns/run 3003") || !strings.Contains(out, "ns/run") {
			t.Errorf("exec --engine %s --count 20: %d %q %q", e, code, out, stderr.String())
		}
	}

	code, out, errOut := cli(t, "verify", "-v", "fifo")
	if code != exitOK || !strings.Contains(out, "JIT (native amd64 code)") || !strings.Contains(out, "native bytes") || !strings.Contains(out, "fifo_enqueue") {
		t.Errorf("verify -v fifo: %d %s %s", code, out[max(0, len(out)-600):], errOut)
	}

	cfg := writeConfig(t, "[policy]\nname = \"fifo\"\nengine = \"interp\"\nbudget_insns = 12\n\n[[workload]]\nkind = \"batch\"\ntasks = 2\n")
	code, out, _ = cli(t, "run", cfg, "--duration", "100ms")
	if code == exitOK || !strings.Contains(out, "BPF callback budget exceeded") || !strings.Contains(out, "instruction limit of 12 exceeded") {
		t.Errorf("budget_insns = 12: %d %q", code, out)
	}
	bad := writeConfig(t, "[policy]\nengine = \"fast\"\n")
	if code, _, errOut := cli(t, "run", bad); code == exitOK || !strings.Contains(errOut, `unknown value "fast"; valid choices: jit, interp`) {
		t.Errorf("engine = fast: %d %q", code, errOut)
	}
}
