package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSuite writes a suite file whose body may name {configs} and
// {testdata}: the absolute paths of the repository's configs/ and of
// testdata/.
func writeSuite(t testing.TB, body string) string {
	t.Helper()
	cfgs, _ := filepath.Abs("../configs")
	td, _ := filepath.Abs("testdata")
	body = strings.NewReplacer("{configs}", cfgs, "{testdata}", td).Replace(body)
	p := filepath.Join(t.TempDir(), "s.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadSuite(t testing.TB, path string) (*Suite, []byte) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSuite(path, src)
	if err != nil {
		t.Fatal(err)
	}
	return s, src
}

// canonical is the JSON of r without its timings.
func canonical(t testing.TB, r *Results) []byte {
	t.Helper()
	c := *r
	c.Timing = Timing{}
	c.Runs = append([]Run(nil), r.Runs...)
	for i := range c.Runs {
		c.Runs[i].WallNs = 0
	}
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const twoPolicies = `
configs = ["{configs}/web.toml", "{testdata}/hogs.toml"]
seeds = 3
duration = "30ms"
warmup = "5ms"
[[policy]]
name = "fifo"
[[policy]]
name = "eevdf"
[[metric]]
path = "wakeup_latency.p99_ns"
direction = "lower"
tolerance = "10%"
[[metric]]
path = "workloads.*.latency.p99_ns"
direction = "lower"
tolerance = "10%"
[[metric]]
path = "verifier.programs.*.insns_processed"
direction = "lower"
tolerance = "5%"
[[metric]]
path = "extra.callbacks.*.calls"
aggregate = "sum"
direction = "lower"
tolerance = "5%"
`

func TestWorkersIdentical(t *testing.T) {
	s, src := loadSuite(t, writeSuite(t, twoPolicies))
	one, err := Execute(s, src, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	many, err := Execute(s, src, Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	a, b := canonical(t, one), canonical(t, many)
	if !bytes.Equal(a, b) {
		t.Fatalf("1 worker and 4 workers differ:\n%s\n---\n%s", a, b)
	}
	if len(one.Runs) != 12 {
		t.Fatalf("%d runs, want 12", len(one.Runs))
	}
	r := one.Runs[3] // web, eevdf, seed 1
	if r.Config != "web" || r.Policy != "eevdf" || r.Seed != 1 || r.ScheduleHash == "" {
		t.Errorf("run 3 = %+v", r)
	}
	for _, k := range []string{"wakeup_latency.p99_ns", "workloads.web.latency.p99_ns", "verifier.programs.eevdf_enqueue.insns_processed", "sum(extra.callbacks.*.calls)"} {
		if _, ok := r.Metrics[k]; !ok {
			t.Errorf("run 3 has no metric %s: %v", k, r.Metrics)
		}
	}
}

func TestShardsMerge(t *testing.T) {
	s, src := loadSuite(t, writeSuite(t, twoPolicies))
	whole, err := Execute(s, src, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var parts []*Results
	var names []string
	for i := range 4 {
		p, err := Execute(s, src, Options{Workers: 2, Shard: Shard{Index: i, Count: 4}})
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("part%d.json", i))
		if err := p.WriteFile(name); err != nil {
			t.Fatal(err)
		}
		back, err := ReadResults(name)
		if err != nil {
			t.Fatal(err)
		}
		parts, names = append(parts, back), append(names, name)
	}
	merged, err := Merge(parts, names)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := canonical(t, whole), canonical(t, merged); !bytes.Equal(a, b) {
		t.Fatalf("4 shards merged differ from the unsharded bench:\n%s\n---\n%s", a, b)
	}
	if _, err := Merge(parts[:3], names[:3]); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("merging 3 of 4 shards: %v, want an error about missing runs", err)
	}
	if _, err := Merge([]*Results{parts[0], parts[0]}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "in both") {
		t.Errorf("merging a shard twice: %v", err)
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		env  []string
		want Shard
		ok   bool
		err  string
	}{
		{nil, Shard{}, false, ""},
		{[]string{"JOB_COMPLETION_INDEX", "2", "JOB_COMPLETIONS", "4"}, Shard{2, 4}, true, ""},
		{[]string{"JOB_COMPLETION_INDEX", "2"}, Shard{}, false, "JOB_COMPLETIONS is not"},
		{[]string{"JOB_COMPLETION_INDEX", "4", "JOB_COMPLETIONS", "4"}, Shard{}, false, "invalid shard"},
		{[]string{"SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "4", "SLURM_ARRAY_TASK_MIN", "1"}, Shard{2, 4}, true, ""},
		{[]string{"SLURM_ARRAY_TASK_ID", "0", "SLURM_ARRAY_TASK_COUNT", "4"}, Shard{0, 4}, true, ""},
		{[]string{"SLURM_ARRAY_TASK_ID", "7", "SLURM_ARRAY_TASK_COUNT", "4"}, Shard{}, false, "not in the array"},
	} {
		sh, _, ok, err := ShardFromEnv(env(c.env...))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want %q", c.env, err, c.err)
			}
			continue
		}
		if err != nil || ok != c.ok || sh != c.want {
			t.Errorf("%v: %v %v %v, want %v %v", c.env, sh, ok, err, c.want, c.ok)
		}
	}
	if sh, err := ParseShard("1/4"); err != nil || sh != (Shard{1, 4}) {
		t.Errorf("ParseShard(1/4) = %v, %v", sh, err)
	}
	for _, bad := range []string{"4/4", "-1/2", "1", "a/b", "0/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

// subset returns the runs of r with the given seeds, as results of their
// own (as if the suite had listed only those seeds).
func subset(r *Results, seeds []uint64) *Results {
	c := *r
	c.Suite.Seeds = seeds
	c.Runs = nil
	for _, run := range r.Runs {
		for _, s := range seeds {
			if run.Seed == s {
				c.Runs = append(c.Runs, run)
			}
		}
	}
	return &c
}

// TestNoFalseAlarm compares a policy with a baseline of itself taken with
// other seeds, 20 times (seeds 1-5 against 6-10, 6-10 against 11-15, ...),
// at the default threshold, on the example suite's kinds of metrics: no
// comparison may report a regression. (Mann-Whitney U is the test, as the
// seeds differ.)
func TestNoFalseAlarm(t *testing.T) {
	const n, reps = 5, 20
	body := fmt.Sprintf(`
configs = ["{configs}/web.toml", "{configs}/mixed.toml"]
seeds = %d
duration = "40ms"
warmup = "10ms"
[[policy]]
name = "fifo"
[[metric]]
path = "wakeup_latency.p99_ns"
direction = "lower"
tolerance = "10%%"
[[metric]]
path = "workloads.*.latency.p99_ns"
direction = "lower"
tolerance = "10%%"
[[metric]]
path = "workloads.*.throughput_per_s"
direction = "higher"
tolerance = "5%%"
[[metric]]
path = "max_lag_ns"
direction = "lower"
tolerance = "20%%"
[[metric]]
path = "utilisation"
direction = "higher"
tolerance = "2%%"
`, n*(reps+1))
	s, src := loadSuite(t, writeSuite(t, body))
	all, err := Execute(s, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seeds := func(k int) []uint64 {
		var out []uint64
		for i := range n {
			out = append(out, uint64(k*n+i+1))
		}
		return out
	}
	compared, significant := 0, 0
	for k := range reps {
		base, cur := subset(all, seeds(k)), subset(all, seeds(k+1))
		c := Compare(base, cur)
		for _, ch := range c.Changes {
			compared++
			if ch.Test.Test != "Mann-Whitney U" {
				t.Fatalf("test %s, want Mann-Whitney U for different seeds", ch.Test.Test)
			}
			if ch.Test.P < s.Alpha {
				significant++
			}
		}
		for _, r := range c.Regressions() {
			t.Errorf("repetition %d: false alarm: %s", k, describe(r))
		}
		// the same seeds again: paired, identical, no change at all
		if regs := Compare(base, base).Regressions(); len(regs) > 0 {
			t.Errorf("repetition %d: a baseline against itself regresses: %s", k, describe(regs[0]))
		}
	}
	t.Logf("%d repetitions, %d comparisons, %d significant at p < %g, 0 regressions", reps, compared, significant, s.Alpha)
	if compared < reps*5 {
		t.Errorf("only %d comparisons", compared)
	}
}

// TestPlantedRegression lengthens FIFO's slice on a machine where a
// periodic task competes with CPU hogs: its latency grows with the slice,
// and the comparison with the baseline must say so (and not the reverse).
func TestPlantedRegression(t *testing.T) {
	suite := func(slice string) *Results {
		s, src := loadSuite(t, writeSuite(t, fmt.Sprintf(`
configs = ["{testdata}/hogs.toml"]
seeds = 5
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
path = "workloads.hogs.throughput_per_s"
direction = "higher"
tolerance = "5%%"
`, slice)))
		r, err := Execute(s, src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	short, long := suite("1ms"), suite("20ms")
	c := Compare(short, long)
	regs := c.Regressions()
	if len(regs) != 1 || regs[0].Metric != "workloads.tick.latency.p99_ns" || regs[0].Test.Test != "paired t" {
		t.Fatalf("regressions %+v, want workloads.tick.latency.p99_ns by the paired t-test", regs)
	}
	if r := regs[0]; r.New.Mean < 3*r.Old.Mean {
		t.Errorf("latency %g -> %g: the planted regression is weaker than expected", r.Old.Mean, r.New.Mean)
	}
	// the other way round it is an improvement
	back := Compare(long, short)
	if len(back.Regressions()) != 0 || len(back.Improvements()) != 1 {
		t.Errorf("undoing the change: %d regressions, %d improvements; want 0 and 1", len(back.Regressions()), len(back.Improvements()))
	}
}

func TestPolicyPath(t *testing.T) {
	s, src := loadSuite(t, "testdata/objpath.toml")
	r, err := Execute(s, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Runs) != 4 || r.Runs[2].Policy != "fifo-file" || r.Runs[2].Seed != 3 {
		t.Fatalf("runs: %+v", r.Runs)
	}
	for i := range 2 {
		a, b := r.Runs[i], r.Runs[i+2]
		if a.ScheduleHash != b.ScheduleHash || a.Metrics["workloads.tick.latency.p99_ns"] != b.Metrics["workloads.tick.latency.p99_ns"] {
			t.Errorf("seed %d: built-in %s %v, object file %s %v", a.Seed, a.ScheduleHash, a.Metrics, b.ScheduleHash, b.Metrics)
		}
	}
	if r.Versions.Policies["fifo"] != r.Versions.Policies["fifo-file"] {
		t.Errorf("versions: %v", r.Versions.Policies)
	}
	tabs := r.Tables()
	if len(tabs) != 1 || len(tabs[0].Rows) != 2 || tabs[0].Rows[1].Diff == nil || tabs[0].Rows[1].Diff.Test.P != 1 {
		t.Errorf("tables: %+v", tabs)
	}
}

// TestEnginesIdentical: the interpreter and the JIT give the same results.
func TestEnginesIdentical(t *testing.T) {
	s, src := loadSuite(t, writeSuite(t, twoPolicies))
	s.Seeds = s.Seeds[:1]
	a, err := Execute(s, src, Options{Engine: "interp"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Execute(s, src, Options{Engine: "jit"})
	if err != nil {
		t.Fatal(err)
	}
	if x, y := canonical(t, a), canonical(t, b); !bytes.Equal(x, y) {
		t.Fatalf("interp and jit differ:\n%s\n---\n%s", x, y)
	}
	if _, err := Execute(s, src, Options{Engine: "warp"}); err == nil || !strings.Contains(err.Error(), `unknown engine "warp"`) {
		t.Errorf("engine warp: %v", err)
	}
}

func TestMergeRejectsOtherSuites(t *testing.T) {
	s, src := loadSuite(t, "testdata/objpath.toml")
	a, err := Execute(s, src, Options{Shard: Shard{0, 2}})
	if err != nil {
		t.Fatal(err)
	}
	s.Seeds = []uint64{3, 5} // as --seeds would
	b, err := Execute(s, src, Options{Shard: Shard{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge([]*Results{a, b}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "not parts of one bench") {
		t.Errorf("merging parts with other seeds: %v", err)
	}
}
