package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func lockConfig(t *testing.T, params string) string {
	obj, err := filepath.Abs("../../policies/testdata/locks/abba.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	cfg := `[run]
duration = "100ms"
[machine]
cores_per_llc = 4
[policy]
name = "` + obj + `"
[policy.params]
` + params + `
[[workload]]
kind = "server"
rate = 8000
workers = 16
service = { dist = "exp", mean = "300us" }
[[workload]]
kind = "batch"
tasks = 2
`
	p := filepath.Join(t.TempDir(), "abba.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExploreFindsABBAAndReplays(t *testing.T) {
	cfg := lockConfig(t, "ordered = 0")
	code, out, errOut := cli(t, "explore", cfg, "--runs", "100", "--duration", "50ms")
	if code != exitFailure {
		t.Fatalf("explore exit %d; stdout %q stderr %q", code, out, errOut)
	}
	report := regexp.MustCompile(`possible deadlock \(ABBA\) detected:(\n  .*)+`).FindString(out)
	if report == "" || !strings.Contains(report, "ops.enqueue, abba_enqueue") || !strings.Contains(report, "ops.dispatch, abba_dispatch") ||
		!strings.Contains(report, "abba.bpf.c:") {
		t.Fatalf("no ABBA report naming both callbacks and source lines:\n%s", out)
	}
	m := regexp.MustCompile(`replay:\n  schedsim (run .*)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no replay command:\n%s", out)
	}
	code, rout, rerr := cli(t, strings.Fields(m[1])...)
	if code != exitFailure || !strings.Contains(rout+rerr, report) {
		t.Errorf("replay %q: exit %d, did not reproduce the report\n%s\n%s", m[1], code, rout, rerr)
	}
}

func TestExploreOrderedLocksClean(t *testing.T) {
	runs := "1000"
	if testing.Short() {
		runs = "100"
	}
	code, out, errOut := cli(t, "explore", lockConfig(t, "ordered = 1"), "--runs", runs, "--duration", "50ms")
	if code != exitOK || !strings.Contains(out, runs+" runs of") || !strings.Contains(out, "no deadlock") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if regexp.MustCompile(`contended 0\b`).MatchString(out) {
		t.Errorf("no contention in any run: the exploration exercised nothing\n%s", out)
	}
}
