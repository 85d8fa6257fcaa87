package sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigLocateKeys(t *testing.T) {
	src := `# comment [not.a = table]
title = "x [y] = z"   # a string holding brackets
multi = """
[fake]
key = 1 """
lit = '''
also = fake'''
a.b . "c d" = 1

[machine]
nodes = 2
[ machine.migration ]
smt = "1us"

[[workload]]
kind = "server"
service = {dist = "exp", mean = "1ms", nested = {x = [1, {y = 2}]}}
list = [
  1, # one
  [2, 3],
  "four,]",
]

[[workload]]
kind = "phases"
[[workload.steps]]
run = "1ms"
[[workload.steps]]
'quoted key' = 3
[workload.extra]
deep = true
date = 1979-05-27 07:32:00Z
after = 1
`
	pos := locateKeys("t.toml", []byte(src))
	want := map[string]string{
		"title":                             "2:1",
		"multi":                             "3:1",
		"lit":                               "6:1",
		"a":                                 "8:1",
		"a.b":                               "8:3",
		`a.b."c d"`:                         "8:7",
		"machine":                           "10:2",
		"machine.nodes":                     "11:1",
		"machine.migration":                 "12:11",
		"machine.migration.smt":             "13:1",
		"workload":                          "15:3",
		"workload[0]":                       "15:3",
		"workload[0].kind":                  "16:1",
		"workload[0].service":               "17:1",
		"workload[0].service.dist":          "17:12",
		"workload[0].service.mean":          "17:26",
		"workload[0].service.nested":        "17:40",
		"workload[0].service.nested.x":      "17:50",
		"workload[0].service.nested.x[0]":   "17:55",
		"workload[0].service.nested.x[1]":   "17:58",
		"workload[0].service.nested.x[1].y": "17:59",
		"workload[0].list":                  "18:1",
		"workload[0].list[0]":               "19:3",
		"workload[0].list[1]":               "20:3",
		"workload[0].list[1][1]":            "20:7",
		"workload[0].list[2]":               "21:3",
		"workload[1]":                       "24:3",
		"workload[1].kind":                  "25:1",
		"workload[1].steps":                 "26:3",
		"workload[1].steps[0]":              "26:12",
		"workload[1].steps[0].run":          "27:1",
		"workload[1].steps[1]":              "28:12",
		`workload[1].steps[1]."quoted key"`: "29:1",
		"workload[1].extra":                 "30:11",
		"workload[1].extra.deep":            "31:1",
		"workload[1].extra.date":            "32:1",
		"workload[1].extra.after":           "33:1",
	}
	for path, w := range want {
		p, ok := pos[path]
		if !ok {
			t.Errorf("%s: not located", path)
			continue
		}
		if got := fmt.Sprintf("%d:%d", p.Line, p.Col); got != w {
			t.Errorf("%s at %s, want %s", path, got, w)
		}
	}
	for _, bogus := range []string{"fake", "also", "key", "workload[2]", "workload[0].list[3]"} {
		if _, ok := pos[bogus]; ok {
			t.Errorf("%s located, but it is not a key", bogus)
		}
	}
}

// Each file in testdata/configs/bad starts with
//
//	# want: LINE:COL | KEY | MESSAGE
//
// and must fail to load with an error naming FILE:LINE:COL, the key and
// containing the message.
func TestConfigBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/configs/bad/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d malformed configs", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			spec, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q is not a # want: line", first)
			}
			parts := strings.Split(spec, " | ")
			if len(parts) != 3 {
				t.Fatalf("want line %q: need LINE:COL | KEY | MESSAGE", spec)
			}
			_, err = LoadConfig(f)
			if err == nil {
				t.Fatal("loaded without error")
			}
			var ces ConfigErrors
			if !errors.As(err, &ces) {
				t.Fatalf("error %T is not ConfigErrors: %v", err, err)
			}
			prefix := f + ":" + parts[0] + ": "
			if parts[1] != "" {
				prefix += parts[1] + ": "
			}
			found := false
			for _, e := range ces {
				s := e.Error()
				if strings.HasPrefix(s, prefix) && strings.Contains(s, parts[2]) {
					found = true
				}
			}
			if !found {
				t.Errorf("error does not contain %q ... %q:\n%v", prefix, parts[2], err)
			}
		})
	}
}

func TestConfigLocateAfterBOM(t *testing.T) {
	_, err := ParseConfig("bom.toml", []byte("\ufeff[run]\nduration = \"1s\"\nx = 1\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "bom.toml:3:1: run.x: unknown key") {
		t.Errorf("error %v", err)
	}
}

func TestConfigUnknownKeysAreErrors(t *testing.T) {
	src := `[run]
duration = "1s"
sead = 4

[machine.migration]
smt = "1us"
numa = "9us"

[[workload]]
kind = "server"
rate = 100
service = {dist = "exp", mean = "1ms", mode = "x"}
speed = 3
`
	_, err := ParseConfig("u.toml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	var ces ConfigErrors
	if !errors.As(err, &ces) {
		t.Fatalf("%T", err)
	}
	want := []string{
		"u.toml:3:1: run.sead: unknown key in [run]; valid keys: duration, max_tasks, seed, starvation, warmup",
		"u.toml:7:1: machine.migration.numa: unknown key in [machine.migration]; valid keys: llc, node, remote, smt",
		"u.toml:12:40: workload[0].service.mode: unknown key in a exp distribution; valid keys: dist, max, mean",
		"u.toml:13:1: workload[0].speed: unknown key in [[workload]] of kind server",
	}
	if len(ces) != len(want) {
		t.Errorf("%d errors, want %d:\n%v", len(ces), len(want), err)
	}
	for i, w := range want {
		if i < len(ces) && !strings.HasPrefix(ces[i].Error(), w) {
			t.Errorf("error %d:\n got %s\nwant %s...", i, ces[i], w)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := ParseConfig("empty.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.Run != d.Run || c.Machine != d.Machine || c.Policy.Name != "fifo" || len(c.Workloads) != 0 {
		t.Errorf("empty config = %+v, want the defaults %+v", c, d)
	}
	if c.Run.Duration != 1e9 || c.Run.Seed != 1 || c.Machine.HZ != 1000 ||
		c.Machine.ContextSwitch != 2000 || c.Machine.IPI != 1000 {
		t.Errorf("defaults changed: %+v", c)
	}
}

func TestConfigValues(t *testing.T) {
	src := `[run]
duration = 5000000
warmup = "1.5ms"
seed = 99
[machine]
nodes = 2
llcs_per_node = 2
cores_per_llc = 2
threads_per_core = 2
hz = 250
context_switch = "3us"
ipi = 500
callback_cost = "150ns"
[machine.migration]
remote = "40us"
[policy]
name = "fifo"
[policy.params]
zeta = "5ms"
alpha = 3
beta = [1, 2]
[[workload]]
kind = "server"
name = "web"
rate_schedule = [["0s", 100], {at = "2ms", rate = 0}, ["3ms", 50.5]]
workers = 3
service = {dist = "pareto", mean = "1ms", alpha = 2}
io = {dist = "uniform", min = "10us", max = "20us"}
split = 0.25
nice = -3
affinity = [3, 1, 2]
start = "1ms"
[[workload]]
kind = "schbench"
work = {dist = "lognormal", median = "1ms", sigma = 0.5}
`
	c, err := ParseConfig("v.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Run != (RunConfig{Duration: 5e6, Warmup: 1.5e6, Seed: 99, Starvation: DefaultStarvation, MaxTasks: DefaultMaxTasks}) {
		t.Errorf("run = %+v", c.Run)
	}
	m := c.Machine
	if m.Topology != (TopologySpec{2, 2, 2, 2}) || m.HZ != 250 || m.ContextSwitch != 3000 || m.IPI != 500 ||
		m.CallbackCost != 150 || m.Migration[DistRemote] != 40000 || m.Migration[DistLLC] != DefaultMigration[DistLLC] {
		t.Errorf("machine = %+v", m)
	}
	var names []string
	for _, p := range c.Policy.Params {
		names = append(names, fmt.Sprintf("%s@%d", p.Name, p.Pos.Line))
	}
	if got := strings.Join(names, " "); got != "zeta@19 alpha@20 beta@21" {
		t.Errorf("params in order %q", got)
	}
	if d, err := c.Policy.Params[0].Duration(); err != nil || d != 5e6 {
		t.Errorf("zeta = %d, %v", d, err)
	}
	if _, err := c.Policy.Params[2].Duration(); err == nil || !strings.HasPrefix(err.Error(), "v.toml:21:1: policy.params.beta: expected a duration") {
		t.Errorf("beta as a duration: %v", err)
	}
	if len(c.Workloads) != 2 {
		t.Fatalf("%d workloads", len(c.Workloads))
	}
	s := c.Workloads[0].(*Server)
	if s.Name != "web" || s.Workers != 3 || s.Nice != -3 || s.Start != 1e6 || s.Split != 0.25 ||
		fmt.Sprint(s.Affinity) != "[1 2 3]" || fmt.Sprint(s.RateSchedule) != "[{0 100} {2000000 0} {3000000 50.5}]" {
		t.Errorf("server = %+v", s)
	}
	if s.Service.Kind != DistPareto || s.Service.Min != 5e5 || s.Service.MeanNs() != 1e6 {
		t.Errorf("service = %+v", s.Service)
	}
	if s.IO == nil || *s.IO != Uniform(10000, 20000) {
		t.Errorf("io = %+v", s.IO)
	}
	sb := c.Workloads[1].(*Schbench)
	if sb.Name != "schbench1" || sb.Groups != 1 || sb.Workers != 4 {
		t.Errorf("schbench defaults: %+v", sb)
	}
}

func TestConfigOverridesAndBuild(t *testing.T) {
	c, err := ParseConfig("o.toml", []byte("[run]\nwarmup = \"10ms\"\n[[workload]]\nkind = \"batch\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	seed, d := uint64(5), uint64(20e6)
	p := c.Params(Overrides{Seed: &seed, Duration: &d})
	if p.Seed != 5 || p.Duration != 20e6 || p.Warmup != 10e6 {
		t.Errorf("params %+v", p)
	}
	short := uint64(5e6)
	if _, err := c.Build(&FIFO{}, Overrides{Duration: &short}); err == nil || !strings.Contains(err.Error(), "warmup") {
		t.Errorf("duration below warmup: %v", err)
	}
	s, err := c.Build(&FIFO{}, Overrides{Duration: &d})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if r.DurationNs != 20e6 || len(r.Workloads) != 1 || r.PerTask[0].Group != "batch0" || r.PerTask[0].Comm != "batch0-0" {
		t.Errorf("result %+v", r)
	}
}

// Every example config parses, and runs for a short while.
func TestConfigExamples(t *testing.T) {
	files, err := filepath.Glob("../configs/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("found %d example configs", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := LoadConfig(f)
			if err != nil {
				t.Fatal(err)
			}
			if c.Policy.Name != "fifo" {
				t.Fatalf("policy %q", c.Policy.Name)
			}
			d := c.Run.Warmup + 20e6
			s, err := c.Build(&FIFO{}, Overrides{Duration: &d})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Run()
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Workloads) != len(c.Workloads) || r.Switches == 0 || r.Ejection != nil {
				t.Errorf("%d workload results for %d workloads, %d switches, ejection %v",
					len(r.Workloads), len(c.Workloads), r.Switches, r.Ejection)
			}
			for i, w := range r.Workloads {
				want := c.Workloads[i].NumTasks()
				if c.Workloads[i].Common().Start >= d {
					want = 0 // not started yet
				}
				if w.Name != c.Workloads[i].Common().Name || w.Tasks != want {
					t.Errorf("workload %d: %s with %d tasks", i, w.Name, w.Tasks)
				}
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, glob := range []string{"../configs/*.toml", "testdata/configs/bad/*.toml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.toml", data)
		if err != nil {
			var ces ConfigErrors
			if !errors.As(err, &ces) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			for _, e := range ces {
				if e.Pos.File != "fuzz.toml" {
					t.Fatalf("error without a position: %v", e)
				}
			}
			return
		}
		if c.ncpu() == 0 {
			t.Fatalf("accepted a machine without CPUs: %+v", c.Machine)
		}
	})
}

// TestLoadConfigPolicyPathRelativeToConfig: a relative policy path in a
// config file is read from the config's directory, not the working one.
func TestLoadConfigPolicyPathRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, want string }{
		{"my.bpf.o", filepath.Join(dir, "my.bpf.o")},
		{"build/my.bpf.o", filepath.Join(dir, "build/my.bpf.o")},
		{"eevdf", "eevdf"},
		{"/abs/x.bpf.o", "/abs/x.bpf.o"},
	} {
		p := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(p, []byte("[policy]\nname = \""+c.name+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Policy.Name != c.want {
			t.Errorf("policy %q: resolved to %q, want %q", c.name, cfg.Policy.Name, c.want)
		}
	}
}

// TestConfigCgroups: [[cgroup]] tables and a workload's cgroup reach the
// machine: missing ancestors created, weights and cpu.max kept, tasks
// placed.
func TestConfigCgroups(t *testing.T) {
	cfg, err := ParseConfig("cg.toml", []byte(`
[run]
duration = "10ms"
[machine]
nodes = 1
llcs_per_node = 1
cores_per_llc = 2
threads_per_core = 1
[[cgroup]]
path = "/a/b"
weight = 250
max = "20ms 100ms"
[[workload]]
kind = "batch"
name = "w"
tasks = 2
cgroup = "/a/b"
`))
	if err != nil {
		t.Fatal(err)
	}
	scn, err := cfg.Build(&FIFO{}, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	m := scn.Machine
	var paths []string
	for _, c := range m.Cgroups() {
		paths = append(paths, c.Path)
	}
	if fmt.Sprint(paths) != "[/ /a /a/b]" {
		t.Fatalf("cgroups %v, want [/ /a /a/b]", paths)
	}
	b := m.Cgroup("/a/b")
	if b.Weight != 250 || b.QuotaUs != 20000 || b.PeriodUs != 100000 || b.Level != 2 || b.Parent != m.Cgroup("/a") {
		t.Errorf("/a/b: %+v", *b)
	}
	if a := m.Cgroup("/a"); a.Weight != DefaultCgroupWeight || a.QuotaUs != 0 {
		t.Errorf("/a (implicit): %+v", *a)
	}
	if _, err := scn.Run(); err != nil {
		t.Fatal(err)
	}
	for _, task := range m.Tasks() {
		if got := m.Kernel().TaskCgroup(task); got != b {
			t.Errorf("task %s in %s, want /a/b", task.Comm, got.Path)
		}
	}
}
