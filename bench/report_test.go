package bench

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReport(t *testing.T) {
	s, src := loadSuite(t, "testdata/objpath.toml")
	r, err := Execute(s, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plots, err := Report(dir, r, Compare(r, r))
	if err != nil {
		t.Fatal(err)
	}
	// a bar chart for the one metric, CDFs of two latencies on one config
	if len(plots) != 3 {
		t.Fatalf("plots %v", plots)
	}
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Against the baseline", "0 regressions", `<img src="metric-workloads.tick.latency.p99_ns.svg"`,
		"cdf-hogs-wakeup_latency.png", "<td>fifo-file</td>"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, p := range plots {
		f, err := os.Open(filepath.Join(dir, p+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 576 || cfg.Height != 384 {
			t.Errorf("%s.png: %+v %v", p, cfg, err)
		}
		svg, err := os.ReadFile(filepath.Join(dir, p+".svg"))
		if err != nil || !strings.Contains(string(svg), "<svg") || len(svg) < 2000 {
			t.Errorf("%s.svg: %d bytes, %v", p, len(svg), err)
		}
	}
}
