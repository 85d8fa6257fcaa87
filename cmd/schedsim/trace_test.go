package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const traceTestConfig = `
[run]
duration = "40ms"
[machine]
cores_per_llc = 2
[[workload]]
kind = "phases"
name = "w"
tasks = 3
steps = [{run = "500us"}, {sleep = "300us"}]
`

func TestRunTraceFormats(t *testing.T) {
	cfg := writeConfig(t, traceTestConfig)
	dir := t.TempDir()
	for _, c := range []struct {
		file string
		args []string
	}{{"t.pftrace", nil}, {"t.perfetto-trace", nil}, {"t.json", nil}, {"t.txt", nil},
		{"t.out", []string{"--trace-format", "ftrace-ns"}}, {"c.pftrace", []string{"--trace-format", "perfetto-compact"}}} {
		file := filepath.Join(dir, c.file)
		args := append([]string{"run", cfg, "--trace", file, "--json", filepath.Join(dir, c.file+".res")}, c.args...)
		if code, _, errOut := cli(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		data, err := os.ReadFile(file)
		if err != nil || len(data) == 0 {
			t.Fatalf("%s: %v, %d bytes", file, err, len(data))
		}
		switch filepath.Ext(file) {
		case ".json":
			var v struct{ TraceEvents []map[string]any }
			if err := json.Unmarshal(data, &v); err != nil || len(v.TraceEvents) == 0 {
				t.Errorf("%s: not Chrome JSON: %v", file, err)
			}
		case ".txt", ".out":
			var res struct {
				Switches uint64 `json:"switches"`
			}
			rd, _ := os.ReadFile(filepath.Join(dir, c.file+".res"))
			json.Unmarshal(rd, &res)
			if n := strings.Count(string(data), ": sched_switch: prev_comm="); uint64(n) != res.Switches || n == 0 {
				t.Errorf("%s: %d sched_switch lines for %d switches", file, n, res.Switches)
			}
		}
	}
}

func TestRunTraceWindow(t *testing.T) {
	cfg := writeConfig(t, traceTestConfig)
	file := filepath.Join(t.TempDir(), "w.txt")
	if code, _, errOut := cli(t, "run", cfg, "--trace", file, "--trace-format", "ftrace-ns",
		"--trace-from", "10ms", "--trace-to", "20ms"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, _ := os.ReadFile(file)
	ts := regexp.MustCompile(`\] \S+ +(\d+\.\d+): `).FindAllStringSubmatch(string(data), -1)
	if len(ts) == 0 {
		t.Fatal("no events in the window")
	}
	for _, m := range ts {
		v, _ := strconv.ParseFloat(m[1], 64)
		if v < 0.010 || v > 0.020 {
			t.Fatalf("event at %s s, outside 10ms..20ms", m[1])
		}
	}
}

func TestRunTraceErrors(t *testing.T) {
	cfg := writeConfig(t, traceTestConfig)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--trace", "x.bin"}, "cannot tell the trace format"},
		{[]string{"--trace", "x.txt", "--trace-format", "svg"}, `unknown trace format "svg"`},
		{[]string{"--trace-from", "1ms"}, "need --trace FILE"},
		{[]string{"--trace", "x.txt", "--trace-from", "soon"}, `--trace-from "soon"`},
		{[]string{"--trace", "x.txt", "--policy", "fifo,eevdf"}, "--trace writes one run"},
	} {
		code, _, errOut := cli(t, append([]string{"run", cfg}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, errOut, c.want)
		}
	}
}

// TestReplayExamples runs the shipped trace and rt-app examples from the
// CLI, as docs/traces.md shows them.
func TestReplayExamples(t *testing.T) {
	for _, pol := range []string{"fifo", "eevdf"} {
		res := filepath.Join(t.TempDir(), "r.json")
		code, out, errOut := cli(t, "run", "../../configs/traces/desktop.toml", "--policy", pol, "--json", res)
		if code != exitOK || !strings.Contains(out, "desktop: replay vs recording (11 tasks)") {
			t.Fatalf("desktop under %s: exit %d: %s%s", pol, code, out, errOut)
		}
		data, _ := os.ReadFile(res)
		var r struct {
			Extra struct {
				TraceReplay map[string][]struct {
					Comm string `json:"comm"`
					Rec  uint64 `json:"recorded_runtime_ns"`
					Sim  uint64 `json:"replayed_runtime_ns"`
				} `json:"trace_replay"`
			} `json:"extra"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		ds := r.Extra.TraceReplay["desktop"]
		if len(ds) != 11 {
			t.Fatalf("%s: %d tasks in extra.trace_replay", pol, len(ds))
		}
		for _, d := range ds {
			if d.Sim != d.Rec {
				t.Errorf("%s: %s ran %d ns of its recorded %d", pol, d.Comm, d.Sim, d.Rec)
			}
		}
	}
	code, out, errOut := cli(t, "run", "../../configs/traces/video.toml", "--policy", "eevdf")
	if code != exitOK || !strings.Contains(out, "video     rtapp") {
		t.Fatalf("video.toml: exit %d: %s%s", code, out, errOut)
	}
}

func TestRTAppUnsupportedKey(t *testing.T) {
	dir := t.TempDir()
	json := "{\n  \"tasks\": {\n    \"t\": { \"run\": 1000, \"barrier\": \"x\" }\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "w.json"), []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte("[[workload]]\nkind = \"rtapp\"\nfile = \"w.json\"\n"), 0o644)
	code, _, errOut := cli(t, "run", cfg)
	want := filepath.Join(dir, "w.json") + `:3:25: rt-app key "barrier" is not supported`
	if code != exitUsage || !strings.Contains(errOut, want) {
		t.Errorf("exit %d: %s\nwant %s", code, errOut, want)
	}
}

func TestRunTraceEvents(t *testing.T) {
	cfg := writeConfig(t, traceTestConfig)
	dir := t.TempDir()
	all, sched := filepath.Join(dir, "all.json"), filepath.Join(dir, "sched.json")
	for _, c := range [][]string{{"--trace", all}, {"--trace", sched, "--trace-events", "sched"}} {
		if code, _, errOut := cli(t, append([]string{"run", cfg}, c...)...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", c, code, errOut)
		}
	}
	a, _ := os.ReadFile(all)
	s, _ := os.ReadFile(sched)
	if !strings.Contains(string(a), `"cost_ns"`) || strings.Contains(string(s), `"cost_ns"`) || !strings.Contains(string(s), `"name":"w-0"`) {
		t.Errorf("--trace-events sched did not leave out the callbacks alone")
	}
	if code, _, errOut := cli(t, "run", cfg, "--trace", all, "--trace-events", "cpu"); code != exitUsage ||
		!strings.Contains(errOut, `unknown trace event category "cpu"`) {
		t.Errorf("bad category: exit %d, %s", code, errOut)
	}
}
