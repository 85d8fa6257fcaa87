package bench

import (
	"os"
	"strings"
	"testing"
)

func TestSuiteErrors(t *testing.T) {
	head := "configs = [\"{configs}/web.toml\"]\nseeds = 2\n"
	pol := "[[policy]]\nname = \"fifo\"\n"
	met := "[[metric]]\npath = \"fairness\"\ndirection = \"higher\"\ntolerance = 0.01\n"
	for _, c := range []struct{ body, want string }{
		{head + "colour = 1\n" + pol + met, "s.toml:3:1: colour: unknown key in the top level; valid keys: alpha, confidence, configs,"},
		{head + pol + met + "colour = 1\n", "s.toml:9:1: metric[0].colour: unknown key in [[metric]] 1; valid keys: aggregate, direction, path, tolerance"},
		{head + pol + "[[metric]]\npath = \"fairness\"\ndirection = \"up\"\ntolerance = 0.01\n", `s.toml:7:1: metric[0].direction: unknown value "up"; valid choices: lower, higher`},
		{head + pol + "[[metric]]\npath = \"fairness\"\ndirection = \"higher\"\n", "metric[0].tolerance: missing"},
		{head + pol + "[[metric]]\npath = \"fairness\"\ndirection = \"higher\"\ntolerance = \"5 percent\"\n", `s.toml:8:1: metric[0].tolerance: "5 percent" is neither a percentage`},
		{head + pol + "[[metric]]\npath = \"a..b\"\ndirection = \"higher\"\ntolerance = 1\n", `s.toml:6:1: metric[0].path: path "a..b" has an empty key`},
		{head + pol + "[[metric]]\npath = \"a.b\"\ndirection = \"higher\"\ntolerance = 1\naggregate = \"median\"\n", `metric[0].aggregate: unknown value "median"`},
		{head + "[[policy]]\nname = \"fifo\"\n[policy.params]\nslise_ns = 5\n" + met, `s.toml:6:1: policy[0].params.slise_ns: policy fifo has no parameter "slise_ns"`},
		{head + "[[policy]]\nname = \"nosuch\"\n" + met, `s.toml:4:1: policy[0].name: unknown policy "nosuch"`},
		{head + pol + pol + met, `policy label "fifo" is used twice`},
		{"configs = [\"{configs}/nosuch.toml\"]\nseeds = 2\n" + pol + met, "s.toml:1:12: configs[0]: config "},
		{"configs = [\"{configs}/x*.toml\"]\nseeds = 2\n" + pol + met, `matches no file`},
		{"configs = [\"{configs}/web.toml\"]\nseeds = [1, 1]\n" + pol + met, "seed 1 is listed twice"},
		{"configs = [\"{configs}/web.toml\"]\n" + pol + met, "seeds: missing"},
		{head + "duration = \"100ms\"\n" + pol + met, "the suite's duration 100ms is not longer than the config's warmup 200ms; set the suite's warmup too"},
		{head + "seeds = 3\n" + pol + met, "s.toml:3:1: TOML syntax error"},
	} {
		p := writeSuite(t, c.body)
		data, _ := os.ReadFile(p)
		_, err := ParseSuite(p, data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("suite\n%s\nerror: %v\nwant it to contain: %s", c.body, err, c.want)
		}
	}
}

func TestResolve(t *testing.T) {
	doc, err := toDoc(map[string]any{
		"a": map[string]any{"b": 2.5, "ok": true},
		"workloads": []any{
			map[string]any{"name": "web", "latency": map[string]any{"p99_ns": 10}},
			map[string]any{"name": "batch"},
			map[string]any{"name": "db", "latency": map[string]any{"p99_ns": 30}},
		},
		"per_cpu": []any{map[string]any{"cpu": 0, "busy": 0.5}, map[string]any{"cpu": 1, "busy": 0.25}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want string
	}{
		{"a.b", "a.b=2.5"},
		{"a.ok", "a.ok=1"},
		{"workloads.db.latency.p99_ns", "workloads.db.latency.p99_ns=30"},
		{"workloads.2.latency.p99_ns", "workloads.2.latency.p99_ns=30"},
		{"workloads.*.latency.p99_ns", "workloads.web.latency.p99_ns=10 workloads.db.latency.p99_ns=30"},
		{"per_cpu.*.busy", "per_cpu.0.busy=0.5 per_cpu.1.busy=0.25"},
		{"nosuch.*.x", ""},
	} {
		ms, err := Resolve(doc, c.path)
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Path+"="+trimG(m.Value))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s = %q, want %q", c.path, strings.Join(got, " "), c.want)
		}
	}
	for _, c := range []struct{ path, want string }{
		{"a.c", `a has no key "c"; its keys: b, ok`},
		{"workloads.api.latency", `workloads has no element "api"; its elements: web, batch, db`},
		{"workloads.batch.latency.p99_ns", `workloads.batch has no key "latency"; its keys: name`},
		{"a", "a is an object, not a number; its keys: b, ok"},
	} {
		if _, err := Resolve(doc, c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.path, err, c.want)
		}
	}
	m, err := Measure(doc, []MetricDef{{Path: "workloads.*.latency.p99_ns", Aggregate: "max"}, {Path: "per_cpu.*.busy", Aggregate: "mean"},
		{Path: "workloads.*.latency.p99_ns", Aggregate: "count"}})
	if err != nil || m["max(workloads.*.latency.p99_ns)"] != 30 || m["mean(per_cpu.*.busy)"] != 0.375 || m["count(workloads.*.latency.p99_ns)"] != 2 {
		t.Errorf("aggregates: %v %v", m, err)
	}
}

func TestTolerance(t *testing.T) {
	rel, _ := parseTolerance("10%")
	if !rel.Exceeded(100, 111) || rel.Exceeded(100, 109) || !rel.Exceeded(100, 89) {
		t.Errorf("10%%: %+v", rel)
	}
	d, _ := parseTolerance("20us")
	if d.Absolute != 20000 || d.Exceeded(1e6, 1e6+20000) || !d.Exceeded(1e6, 1e6+20001) {
		t.Errorf("20us: %+v", d)
	}
	if _, err := parseTolerance(-1.0); err == nil {
		t.Error("a negative tolerance is accepted")
	}
}

func TestBuiltinConfigs(t *testing.T) {
	s, _ := loadSuite(t, writeSuite(t, `configs = ["web.toml", "m*.toml"]
seeds = 1
[[policy]]
name = "fifo"
[[metric]]
path = "fairness"
direction = "higher"
tolerance = 0.01
`))
	var got []string
	for _, c := range s.Configs {
		got = append(got, c.Name+"="+c.Path)
	}
	if strings.Join(got, " ") != "web=configs/web.toml mixed=configs/mixed.toml" {
		t.Errorf("configs %v", got)
	}
}
