package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// cli runs schedsim in-process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func writeConfig(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsage(t *testing.T) {
	code, _, errOut := cli(t)
	if code != exitUsage || !strings.Contains(errOut, "usage: schedsim COMMAND") {
		t.Errorf("no arguments: %d %q", code, errOut)
	}
	for _, c := range commands {
		if !strings.Contains(errOut, "  "+c.name+" ") {
			t.Errorf("usage does not list %s", c.name)
		}
	}
	code, out, _ := cli(t, "help")
	if code != exitOK || !strings.Contains(out, "run ") {
		t.Errorf("help: %d %q", code, out)
	}
	code, _, errOut = cli(t, "frobnicate")
	if code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

func TestRunDefaultConfig(t *testing.T) {
	code, out, errOut := cli(t, "run", "--duration", "300ms")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"configs/web.toml", "policy         fifo", "schedule hash", "runnable delay",
		"wakeup latency", "p99.9", "fairness", "max lag", "web ", "server", "build ", "batch", "ejection: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

const smallConfig = `
[run]
duration = "200ms"
[machine]
cores_per_llc = 2
threads_per_core = 2
[policy]
name = "fifo"
[policy.params]
slice_ns = "2ms"
[[workload]]
kind = "server"
rate = 4000
workers = 8
service = {dist = "exp", mean = "500us"}
[[workload]]
kind = "batch"
tasks = 2
nice = 5
`

func TestRunJSONDeterministic(t *testing.T) {
	p := writeConfig(t, smallConfig)
	code, a, errOut := cli(t, "run", p, "--seed", "11", "--json", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "schedule hash") {
		t.Errorf("with --json -, the summary goes to stderr: %q", errOut)
	}
	_, b, _ := cli(t, "run", "--json", "-", "--seed=11", p)
	if a != b {
		t.Error("two runs with the same seed wrote different JSON")
	}
	_, c, _ := cli(t, "run", p, "--seed", "12", "--json", "-")
	var ra, rc sim.Result
	if err := json.Unmarshal([]byte(a), &ra); err != nil {
		t.Fatalf("JSON: %v\n%s", err, a)
	}
	if err := json.Unmarshal([]byte(c), &rc); err != nil {
		t.Fatal(err)
	}
	if ra.Seed != 11 || rc.Seed != 12 || ra.ScheduleHash == rc.ScheduleHash {
		t.Errorf("seeds %d, %d; hashes %s, %s", ra.Seed, rc.Seed, ra.ScheduleHash, rc.ScheduleHash)
	}
	if len(ra.Workloads) != 2 || ra.Workloads[0].Latency == nil || ra.DurationNs != 200e6 {
		t.Errorf("result: %+v", ra)
	}

	// --json FILE writes the same bytes as --json -.
	f := filepath.Join(t.TempDir(), "out.json")
	code, out, _ := cli(t, "run", p, "--seed", "11", "--json", f)
	data, err := os.ReadFile(f)
	if code != exitOK || err != nil || string(data) != a || !strings.Contains(out, "schedule hash") {
		t.Errorf("--json FILE: exit %d, %v, same bytes %v", code, err, string(data) == a)
	}
}

func TestRunErrors(t *testing.T) {
	good := writeConfig(t, smallConfig)
	bad := writeConfig(t, "[machine]\ncores_per_llc = 2\n[[workload]]\nkind = \"batch\"\naffinity = \"0-5\"\n")
	unknownPolicy := writeConfig(t, "[policy]\nname = \"fiffo\"\n")
	badParam := writeConfig(t, "[policy]\nname = \"fifo\"\n[policy.params]\nslise = \"1ms\"\n")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", bad}, exitUsage, bad + ":5:1: workload[0].affinity: CPU 2 does not exist: the machine has CPUs 0-1"},
		{[]string{"run", unknownPolicy}, exitUsage, unknownPolicy + `:2:1: policy.name: unknown policy "fiffo"; valid policies: eevdf, fifo, fifo-go`},
		{[]string{"run", badParam}, exitUsage, badParam + `:4:1: policy.params.slise: policy fifo has no parameter "slise"; its parameters are: slice_ns`},
		{[]string{"run", good, "--policy", "cfs"}, exitUsage, `unknown policy "cfs"; valid policies: eevdf, fifo, fifo-go`},
		{[]string{"run", good, "--seed", "-1"}, exitUsage, `--seed "-1": expected a non-negative integer`},
		{[]string{"run", good, "--duration", "soon"}, exitUsage, `--duration "soon": expected a positive duration`},
		{[]string{"run", good, "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{[]string{"run", good, good}, exitUsage, "one config at most"},
		{[]string{"run", filepath.Join(t.TempDir(), "missing.toml")}, exitUsage, "no such file"},
		// The --json path is opened before the run: a bad one fails at once.
		{[]string{"run", good, "--json", filepath.Join(t.TempDir(), "no", "dir", "x.json")}, exitUsage, "schedsim run: --json: open "},
		{[]string{"run", good, "--pct", "--pct-depth", "0"}, exitUsage, "--pct-depth 0: expected an integer of at least 1"},
		{[]string{"run", good, "--pct-depth", "-3"}, exitUsage, "--pct-depth -3: expected an integer of at least 1"},
	}
	for _, c := range cases {
		code, _, errOut := cli(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args[1:], code, errOut, c.code, c.want)
		}
	}
}

func TestRunPolicyOverride(t *testing.T) {
	p := writeConfig(t, smallConfig)
	code, _, errOut := cli(t, "run", p, "--policy", "fifo", "--duration", "50ms")
	if code != exitOK || errOut != "" {
		t.Errorf("--policy naming the config's policy: exit %d, %q", code, errOut)
	}
	env := policyEnv{cpus: 4}
	s, err := resolvePolicy("fifo-go", nil, env)
	if f, ok := s.(*sim.FIFO); err != nil || !ok || f.Slice != 0 {
		t.Errorf("fifo-go without params: %#v, %v", s, err)
	}
	c, err := sim.ParseConfig("p.toml", []byte("[policy.params]\nslice_ns = \"inf\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err = resolvePolicy("fifo-go", c.Policy.Params, env)
	if f, ok := s.(*sim.FIFO); err != nil || !ok || f.Slice != sim.SliceInf {
		t.Errorf("slice_ns = inf: %#v, %v", s, err)
	}
	s, err = resolvePolicy("fifo", nil, env)
	if b, ok := s.(*policies.BPFPolicy); err != nil || !ok || b.Ops().Name != "fifo" {
		t.Errorf("fifo is the BPF FIFO: %#v, %v", s, err)
	}
	c, err = sim.ParseConfig("p.toml", []byte("[policy.params]\nslice = 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resolvePolicy("fifo", c.Policy.Params, env); err == nil ||
		!strings.Contains(err.Error(), "p.toml:2:1") || !strings.Contains(err.Error(), "slice_ns") {
		t.Errorf("an unknown parameter of the BPF FIFO: %v", err)
	}
	if _, err := resolvePolicy("policies/x.bpf.o", nil, env); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing .bpf.o path: %v", err)
	}
	if _, err := resolvePolicy("nosuch", nil, env); err == nil || !strings.Contains(err.Error(), "eevdf, fifo, fifo-go") {
		t.Errorf("an unknown policy: %v", err)
	}
}

func TestSummaryShowsEjection(t *testing.T) {
	c, err := sim.ParseConfig("e.toml", []byte(smallConfig))
	if err != nil {
		t.Fatal(err)
	}
	scn, err := c.Build(&sim.FIFO{}, sim.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	r := &sim.Result{Policy: "fifo", Ejection: &sim.EjectionResult{AtNs: 1500000, Policy: "fifo",
		Reason: "runnable task stall", Msg: "server0-1[3] failed to run for 30.000s"}}
	var b bytes.Buffer
	writeSummary(&b, c, scn, r)
	want := "ejection: policy fifo ejected at 1.5ms: runnable task stall: server0-1[3] failed to run for 30.000s"
	if !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, b.String())
	}
}

func TestRunSideBySide(t *testing.T) {
	p := writeConfig(t, smallConfig)
	code, out, errOut := cli(t, "run", p, "--policy", "fifo,fifo-go", "--duration", "100ms", "--json", filepath.Join(t.TempDir(), "r.json"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"fifo-go", "wakeup latency p99", "fairness (Jain)", "max lag", "schedule hash"} {
		if !strings.Contains(out, want) {
			t.Errorf("side-by-side table lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := cli(t, "run", p, "--policy", "fifo,,fifo-go"); code != exitUsage || !strings.Contains(errOut, "empty policy name") {
		t.Errorf("empty name in the list: exit %d %q", code, errOut)
	}
}
