package bench

import (
	"os"
	"testing"
)

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

func TestExampleSuiteQuick(t *testing.T) {
	s, src := loadSuite(t, "suites/example.toml")
	s.Seeds = s.Seeds[:1]
	s.Duration, s.Warmup = 30e6, 10e6
	r, err := Execute(s, src, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range r.Runs {
		t.Logf("%s %s %d %s %v", run.Config, run.Policy, run.Seed, run.ScheduleHash, run.Metrics)
	}
}
