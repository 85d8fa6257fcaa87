package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchSuite writes a suite whose {repo} is the repository's root.
func benchSuite(t *testing.T, body string) string {
	t.Helper()
	root, _ := filepath.Abs("../..")
	p := filepath.Join(t.TempDir(), "suite.toml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "{repo}", root)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// stripTimings removes the wall-clock parts of a bench's JSON.
func stripTimings(t *testing.T, data []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "timing")
	for _, r := range m["runs"].([]any) {
		delete(r.(map[string]any), "wall_ns")
	}
	out, _ := json.Marshal(m)
	return string(out)
}

// TestBenchExample runs the shipped example suite (fewer seeds, shorter
// runs) and checks the table, the JSON and the report's plots.
func TestBenchExample(t *testing.T) {
	dir := t.TempDir()
	js, rep := filepath.Join(dir, "out.json"), filepath.Join(dir, "report")
	code, out, errOut := cli(t, "bench", "../../bench/suites/example.toml", "--seeds", "2", "--duration", "40ms", "--warmup", "10ms",
		"--json", js, "--report", rep)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"2 policies x 2 seeds = 28 runs", "wakeup_latency.p99_ns (lower is better, tolerance 10%)",
		"95% CI", "vs fifo", "  web     eevdf   2  ", "verifier.insns_processed", "report: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "bench: 28/28 runs (100%)") {
		t.Errorf("no progress lines on a non-terminal: %q", errOut)
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Runs []struct {
			Config, Policy string
			ScheduleHash   string `json:"schedule_hash"`
			Metrics        map[string]float64
		}
		Versions struct{ Go string }
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 28 || res.Versions.Go == "" || res.Runs[0].ScheduleHash == "" || len(res.Runs[0].Metrics) == 0 {
		t.Errorf("JSON: %d runs, versions %+v, first run %+v", len(res.Runs), res.Versions, res.Runs[0])
	}
	html, err := os.ReadFile(filepath.Join(rep, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	checkPlots(t, rep, string(html))
}

// checkPlots decodes every plot the report page embeds: a PNG of the
// expected size that is not blank, and an SVG that parses and draws.
func checkPlots(t *testing.T, dir, html string) {
	t.Helper()
	n := 0
	for _, part := range strings.Split(html, `<img src="`)[1:] {
		svgName := part[:strings.Index(part, `"`)]
		base := strings.TrimSuffix(svgName, ".svg")
		n++
		f, err := os.Open(filepath.Join(dir, base+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s.png: %v", base, err)
		}
		if b := img.Bounds(); b.Dx() != 576 || b.Dy() != 384 {
			t.Errorf("%s.png is %dx%d, want 576x384 (6x4 in at 96 dpi)", base, b.Dx(), b.Dy())
		}
		colours := map[[4]uint32]bool{}
		for y := 0; y < img.Bounds().Dy(); y += 7 {
			for x := 0; x < img.Bounds().Dx(); x += 7 {
				r, g, b, a := img.At(x, y).RGBA()
				colours[[4]uint32{r, g, b, a}] = true
			}
		}
		if len(colours) < 3 {
			t.Errorf("%s.png is nearly blank (%d colours)", base, len(colours))
		}
		data, err := os.ReadFile(filepath.Join(dir, svgName))
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(data))
		root, shapes := "", 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s does not parse: %v", svgName, err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if root == "" {
					root = se.Name.Local
				}
				if se.Name.Local == "path" || se.Name.Local == "text" {
					shapes++
				}
			}
		}
		if root != "svg" || shapes < 10 {
			t.Errorf("%s: root <%s>, %d paths and texts", svgName, root, shapes)
		}
	}
	if n < 10 {
		t.Errorf("the report embeds %d plots", n)
	}
}

const hogsSuite = `
configs = ["{repo}/bench/testdata/hogs.toml"]
seeds = %s
duration = "100ms"
[[policy]]
name = "fifo"
[policy.params]
slice_ns = %q
[[metric]]
path = "workloads.tick.latency.p99_ns"
direction = "lower"
tolerance = "10%%"
[[metric]]
path = "wakeup_latency.p99_ns"
direction = "lower"
tolerance = "10%%"
`

// TestBenchRegression plants a regression (FIFO with a 20x longer slice)
// and expects exit 1 naming the metric; the same policy against a
// baseline of itself taken with other seeds exits 0.
func TestBenchRegression(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base.json")
	code, out, errOut := cli(t, "bench", benchSuite(t, fmt.Sprintf(hogsSuite, "5", "1ms")), "--save-baseline", base, "--quiet")
	if code != exitOK {
		t.Fatalf("baseline: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cli(t, "bench", benchSuite(t, fmt.Sprintf(hogsSuite, "5", "20ms")), "--baseline", base, "--quiet")
	if code != exitFailure || !strings.Contains(out, "REGRESSION: metric workloads.tick.latency.p99_ns, config hogs, policy fifo: ") ||
		!strings.Contains(errOut, "regression") {
		t.Fatalf("planted regression: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = cli(t, "bench", benchSuite(t, fmt.Sprintf(hogsSuite, "[11, 12, 13, 14, 15]", "1ms")), "--baseline", base, "--quiet")
	if code != exitOK || !strings.Contains(out, "0 regressions") || !strings.Contains(out, "Mann-Whitney") && !strings.Contains(out, "2 compared") {
		t.Fatalf("itself with other seeds: exit %d\n%s%s", code, out, errOut)
	}
}

// TestBenchShards runs a suite in 4 shards (one of them from the
// environment of a Kubernetes Indexed Job) and merges them: the JSON
// equals the unsharded bench's, timings aside.
func TestBenchShards(t *testing.T) {
	suite := benchSuite(t, `
configs = ["{repo}/configs/web.toml", "{repo}/bench/testdata/hogs.toml"]
seeds = 3
duration = "30ms"
warmup = "5ms"
[[policy]]
name = "fifo"
[[policy]]
name = "eevdf"
[[metric]]
path = "workloads.*.latency.p99_ns"
direction = "lower"
tolerance = "10%"
`)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.json")
	if code, out, errOut := cli(t, "bench", suite, "--json", whole, "--quiet"); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var parts []string
	for i := range 4 {
		p := filepath.Join(dir, fmt.Sprintf("part%d.json", i))
		args := []string{"bench", suite, "--json", p, "--quiet", "--workers", "1"}
		if i == 2 {
			t.Setenv("JOB_COMPLETION_INDEX", "2")
			t.Setenv("JOB_COMPLETIONS", "4")
		} else {
			args = append(args, "--shard", fmt.Sprintf("%d/4", i))
		}
		code, out, errOut := cli(t, args...)
		if code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s%s", i, code, out, errOut)
		}
		if i == 2 && !strings.Contains(errOut, "shard 2/4 from JOB_COMPLETION_INDEX=2, JOB_COMPLETIONS=4") {
			t.Errorf("shard from the environment: %q", errOut)
		}
		os.Unsetenv("JOB_COMPLETION_INDEX")
		parts = append(parts, p)
	}
	merged := filepath.Join(dir, "merged.json")
	code, out, errOut := cli(t, append(append([]string{"bench", "merge"}, parts...), "--json", merged)...)
	if code != exitOK || !strings.Contains(out, "workloads.web.latency.p99_ns") {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errOut)
	}
	a, _ := os.ReadFile(whole)
	b, _ := os.ReadFile(merged)
	if stripTimings(t, a) != stripTimings(t, b) {
		t.Errorf("merged shards differ from the unsharded bench:\n%s\n%s", a, b)
	}
	if code, _, errOut := cli(t, "bench", "merge", parts[0], parts[1]); code != exitUsage || !strings.Contains(errOut, "missing") {
		t.Errorf("merging 2 of 4 parts: exit %d %q", code, errOut)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	bad := benchSuite(t, "configs = [\"{repo}/configs/web.toml\"]\nseeds = 2\nworkers = 3\n")
	if code, _, errOut := cli(t, "bench", bad); code != exitUsage || !strings.Contains(errOut, "suite.toml:3:1: workers: unknown key in the top level") {
		t.Errorf("unknown key: exit %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "bench", "../../bench/suites/example.toml", "--shard", "4/4"); code != exitUsage || !strings.Contains(errOut, "invalid shard") {
		t.Errorf("--shard 4/4: exit %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "bench", "../../bench/suites/example.toml", "--shard", "1/4"); code != exitUsage || !strings.Contains(errOut, "--json FILE") {
		t.Errorf("a shard without --json: exit %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "bench", "../../bench/suites/example.toml", "--engine", "warp", "--seeds", "1", "--duration", "20ms", "--warmup", "5ms"); code != exitUsage || !strings.Contains(errOut, `unknown engine "warp"`) {
		t.Errorf("--engine warp: exit %d %q", code, errOut)
	}
}

// TestBenchRejectedPolicy: a policy the verifier rejects fails the bench
// (exit 1) with the verifier's reason and the run it happened in.
func TestBenchRejectedPolicy(t *testing.T) {
	suite := benchSuite(t, `
configs = ["{repo}/bench/testdata/hogs.toml"]
seeds = 2
duration = "30ms"
[[policy]]
name = "{repo}/policies/testdata/oob.bpf.o"
label = "oob"
[[metric]]
path = "fairness"
direction = "higher"
tolerance = 0.01
`)
	code, _, errOut := cli(t, "bench", suite, "--quiet")
	if code != exitFailure || !strings.Contains(errOut, "policy oob, seed ") || !strings.Contains(errOut, "verifier rejected the policy") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}
